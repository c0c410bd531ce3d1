// Starts the fauxqs SNS/SQS emulator on loopback (fauxqs's own start helper binds every
// interface). HOST/PORT choose where; PORT=0 picks a free port. Prints one JSON line
// {"url": ...} once listening, and stops cleanly on SIGTERM/SIGINT.
import { buildApp } from 'fauxqs';

const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 4566);

const app = buildApp({ logger: process.env.FAUXQS_LOGGER === 'true' });
await app.listen({ port, host });
const { port: actual } = app.server.address();
process.stdout.write(`${JSON.stringify({ url: `http://${host}:${actual}` })}\n`);

const stop = () => app.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
