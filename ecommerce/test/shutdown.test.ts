import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { closeServer, createHttpServer } from '@marketplace/common';
import { waitFor } from '../../test-support/eventually';
import { jsonLines } from '../../test-support/log-capture';

/**
 * common/src/lifecycle.ts in a process of its own (signals and exit codes cannot be tested
 * in-process): a tiny script sets up one scenario, the test sends SIGTERM (crashes:
 * fatal-errors.test.ts).
 */
const ROOT = path.resolve(__dirname, '../..');
let dir: string;

const SCRIPT = `
const pino = require(${JSON.stringify(require.resolve('pino'))});
const { Redis } = require(${JSON.stringify(require.resolve('ioredis'))});
const { onShutdown } = require('./lifecycle.js');
const logger = pino({ base: null }, pino.destination({ dest: 1, sync: true }));
const hang = () => new Promise(() => {});
const done = () => logger.info('closed');
const scenario = process.argv[2];
const steps = {
  clean: [
    { name: 'http server', run: done },
    { name: 'postgres pool', run: done, closesConnection: true },
  ],
  'dependency hangs': [
    { name: 'http server', run: done },
    { name: 'redis', run: hang, closesConnection: true },
    { name: 'sqs client', run: done, closesConnection: true },
  ],
  'work hangs': [{ name: 'drain worker', run: hang }, { name: 'redis', run: done }],
  'redis is down': [
    {
      name: 'redis',
      run: () =>
        new Redis(process.argv[3], { maxRetriesPerRequest: 1, enableOfflineQueue: false }).quit(),
      closesConnection: true,
    },
  ],
  'work fails': [
    { name: 'outbox relay', run: () => { throw new Error('relay stuck'); } },
    { name: 'postgres pool', run: done, closesConnection: true },
  ],
}[scenario];
if (steps) onShutdown(logger, steps, { timeoutMs: 1000 });
setInterval(() => {}, 1000);
logger.info('ready');
`;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'lifecycle-'));
  const source = readFileSync(path.join(ROOT, 'common/src/lifecycle.ts'), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  });
  writeFileSync(path.join(dir, 'lifecycle.js'), outputText);
  writeFileSync(path.join(dir, 'scenario.js'), SCRIPT);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Outcome {
  code: number | null;
  ms: number;
  lines: Record<string, unknown>[];
}

/** Runs a scenario and sends SIGTERM once it is ready. */
function run(scenario: string, args: string[] = []): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(dir, 'scenario.js'), scenario, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    let started = 0;
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (started === 0 && output.includes('"msg":"ready"')) {
        started = Date.now();
        child.kill('SIGTERM');
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, ms: started ? Date.now() - started : 0, lines: jsonLines(output) });
    });
  });
}

/** A TCP port with nothing listening: a dependency that is down. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const messages = (outcome: Outcome) => outcome.lines.map((line) => line.msg);

describe('onShutdown', () => {
  test('when every step finishes, then exit 0 at once', async () => {
    const outcome = await run('clean');
    expect(outcome.code).toBe(0);
    expect(outcome.ms).toBeLessThan(1000);
    expect(messages(outcome)).toEqual(['ready', 'shutting down', 'closed', 'closed', 'stopped']);
  });

  test("when a dependency's close hangs, then exit 0 at the deadline, naming the step", async () => {
    const outcome = await run('dependency hangs');
    expect(outcome.code).toBe(0);
    expect(outcome.ms).toBeGreaterThanOrEqual(900);
    expect(outcome.ms).toBeLessThan(5000);
    expect(outcome.lines).toContainEqual(
      expect.objectContaining({
        level: 50,
        msg: 'shutdown deadline passed; exiting with work abandoned safely',
        step: 'redis',
        skipped: ['sqs client'],
      }),
    );
  });

  test('when in-flight work never finishes, then the deadline still ends the process', async () => {
    const outcome = await run('work hangs');
    expect(outcome.code).toBe(0);
    expect(outcome.ms).toBeLessThan(5000);
    expect(outcome.lines).toContainEqual(
      expect.objectContaining({ step: 'drain worker', skipped: ['redis'] }),
    );
  });

  test('when Redis is down, then closing its client fails quietly and the exit is 0', async () => {
    const outcome = await run('redis is down', [`redis://127.0.0.1:${await deadPort()}`]);
    expect(outcome.code).toBe(0);
    expect(outcome.ms).toBeLessThan(5000);
  });

  test('when a step fails, then the next ones still run and the exit is 1', async () => {
    const outcome = await run('work fails');
    expect(outcome.code).toBe(1);
    expect(messages(outcome)).toEqual([
      'ready',
      'shutting down',
      'shutdown step failed',
      'closed',
      'stopped with errors',
    ]);
  });
});

describe('closeServer', () => {
  test('when keep-alive clients keep sending, then the server still closes at once, ending each connection after its request', async () => {
    let serving = 0;
    let closing = false;
    const connectionAfterClose: unknown[] = [];
    const server = createHttpServer((_req, res) => {
      serving += 1;
      setTimeout(() => {
        serving -= 1;
        res.end('ok');
        if (closing) connectionAfterClose.push(res.getHeader('connection'));
      }, 50);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const get = () =>
      new Promise<string | undefined>((resolve) => {
        http
          .get({ port, host: '127.0.0.1', agent }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.headers.connection));
          })
          .on('error', () => resolve('refused'));
      });
    let sending = true;
    const seen: (string | undefined)[] = [];
    const clients = [0, 1, 2, 3].map(async () => {
      while (sending) seen.push(await get());
    });
    // Close while requests are being served on kept-alive connections.
    await waitFor(
      'a request in flight on a kept-alive connection',
      () => seen.includes('keep-alive') && serving > 0,
      { intervalMs: 5 },
    );

    const started = Date.now();
    closing = true;
    await closeServer(server);
    const closedIn = Date.now() - started;
    sending = false;
    await Promise.all(clients);
    agent.destroy();
    expect(closedIn).toBeLessThan(1000);
    expect(seen).toContain('close');
    // Those in flight when the close began too, not only the requests that came after.
    expect(connectionAfterClose.length).toBeGreaterThan(0);
    expect(new Set(connectionAfterClose)).toEqual(new Set(['close']));
  });
});
