import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * The compiled `startTelemetry` as each service's first import runs it, in a process of its own
 * so that nothing else has loaded the SDK before: the OpenTelemetry trace SDK is loaded only when
 * tracing is on, and then only the trace SDK (telemetry-sdk.ts: not sdk-node's logs and metrics
 * SDKs), and it exports OTLP http/protobuf by default.
 */
const TELEMETRY = path.resolve(__dirname, '../common/dist/telemetry.js');

const SCRIPT = `
const { trace } = require('@opentelemetry/api');
const { startTelemetry } = require(${JSON.stringify(TELEMETRY)});
const telemetry = startTelemetry('loading-test');
trace.getTracer('loading-test').startSpan('one span').end();
const loaded = (name) => Object.keys(require.cache).some((file) => file.includes(name));
// On a line of its own: the console exporter writes the span to stdout too.
process.stdout.write('\\nloaded: ' + JSON.stringify({
  sdk: loaded('/@opentelemetry/sdk-trace-base/'),
  pg: loaded('/@opentelemetry/instrumentation-pg/'),
  logsSdk: loaded('/@opentelemetry/sdk-logs/'),
}) + '\\n');
// EXIT_AFTER_MS: ends without the shutdown, which would export what is left.
if (process.env.EXIT_AFTER_MS) setTimeout(() => process.exit(0), Number(process.env.EXIT_AFTER_MS));
else telemetry.shutdown();
`;

interface Loaded {
  sdk: boolean;
  pg: boolean;
  logsSdk: boolean;
}

/** What the script printed, and the modules it had loaded. */
async function run(env: Record<string, string>): Promise<{ stdout: string; loaded: Loaded }> {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('OTEL_')),
  );
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', SCRIPT], {
    // The API resolved from the project, as the services resolve it.
    cwd: path.resolve(__dirname, '../common'),
    env: { ...clean, ...env },
    encoding: 'utf8',
  });
  return { stdout, loaded: JSON.parse(/^loaded: (.*)$/m.exec(stdout)![1]!) as Loaded };
}

const modulesLoaded = async (env: Record<string, string>) => (await run(env)).loaded;

describe('loading the OpenTelemetry SDK', () => {
  test('when tracing is off (nothing set), then neither the SDK nor an instrumentation is loaded', async () => {
    expect(await modulesLoaded({})).toEqual({ sdk: false, pg: false, logsSdk: false });
  });

  test('when OTEL_TRACES_EXPORTER=none though an endpoint is set, then the SDK is not loaded', async () => {
    expect(
      await modulesLoaded({
        OTEL_TRACES_EXPORTER: 'none',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
      }),
    ).toEqual({ sdk: false, pg: false, logsSdk: false });
  });

  test('when tracing is on, then the trace SDK is loaded, and not the logs SDK', async () => {
    // The logs SDK is installed (the OTLP transformer depends on it): sdk-node would load it.
    expect(await modulesLoaded({ OTEL_TRACES_EXPORTER: 'console' })).toEqual({
      sdk: true,
      pg: false,
      logsSdk: false,
    });
  });

  /** An OTLP/HTTP receiver that keeps what it is sent. */
  async function sink() {
    const received: { headers: IncomingHttpHeaders; url?: string; body: Buffer }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ headers: req.headers, url: req.url, body: Buffer.concat(chunks) });
        res.writeHead(200, { 'content-length': 0 }).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return { received, url: `http://127.0.0.1:${port}`, close: () => server.close() };
  }

  test('when an OTLP endpoint is set, then the span is exported as protobuf, named by its service', async () => {
    const otlp = await sink();
    try {
      // The shutdown at the end of the script exports the span.
      await modulesLoaded({ OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url });
      expect(otlp.received).toHaveLength(1);
      const [request] = otlp.received;
      expect(request!.url).toBe('/v1/traces');
      expect(request!.headers['content-type']).toBe('application/x-protobuf');
      expect(request!.body.includes('loading-test')).toBe(true);
      expect(request!.body.includes('one span')).toBe(true);
    } finally {
      otlp.close();
    }
  });

  test('when OTEL_LOG_LEVEL=debug, then the SDK tells on the console what it does', async () => {
    const quiet = await run({ OTEL_TRACES_EXPORTER: 'console' });
    const told = await run({ OTEL_TRACES_EXPORTER: 'console', OTEL_LOG_LEVEL: 'debug' });
    expect(quiet.stdout).not.toContain('Registered a global for trace');
    expect(told.stdout).toContain('Registered a global for trace');
  });

  test.each<[string, number, Record<string, string>]>([
    // Ours: 200 ms.
    ['unset', 1, {}],
    // The SDK's default: not before the process ends.
    ['5000', 0, { OTEL_BSP_SCHEDULE_DELAY: '5000' }],
  ])(
    'when OTEL_BSP_SCHEDULE_DELAY is %s, then a process that ends after 2 s has exported %d batch',
    async (_, batches, env) => {
      const otlp = await sink();
      try {
        await modulesLoaded({
          OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
          EXIT_AFTER_MS: '2000',
          ...env,
        });
        expect(otlp.received).toHaveLength(batches);
      } finally {
        otlp.close();
      }
    },
  );
});
