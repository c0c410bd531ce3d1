import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { eventually } from './eventually';
import { freePort } from './processes';

const ROOT = path.resolve(__dirname, '..');

/** A compiled service (`ecommerce/dist/main.js`, ...) running as a child process. */
export interface ServiceProcess {
  child: ChildProcess;
  /** Everything it wrote to stdout and stderr. */
  output: string[];
  url: string;
  /** Resolves with the exit code (null when a signal ended it). */
  exited: Promise<number | null>;
}

/**
 * Starts a compiled service with the given environment on a free port and waits until
 * `readyPath` answers 200 (`/ready` by default; `/health` when readiness may lag on purpose).
 * With TEST_SERVICE_LOG_DIR set (the e2e and fault suites' setups), its stdout (JSON log
 * lines) and stderr are also kept there, `<service>-<pid>.log` and `.stderr`, for the
 * end-of-run secret scan.
 */
export async function startService(
  entry: string,
  env: Record<string, string | undefined>,
  options: { readyPath?: string; timeoutMs?: number } = {},
): Promise<ServiceProcess> {
  const port = await freePort();
  const output: string[] = [];
  // CPU_PROF_DIR=dir: a V8 CPU profile of every service, written when it exits (`make bench`
  // profiling; --cpu-prof is not accepted in NODE_OPTIONS).
  const profile = process.env.CPU_PROF_DIR
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.CPU_PROF_DIR}`]
    : [];
  // The heap limits the services run with everywhere (deploy/node-flags; README "Performance").
  const flags = (
    process.env.SERVICE_NODE_FLAGS || readFileSync(path.join(ROOT, 'deploy/node-flags'), 'utf8')
  )
    .split(/\s+/)
    .filter(Boolean);
  const child = spawn(process.execPath, [...flags, ...profile, path.join(ROOT, entry)], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (extension: string) => {
    const dir = process.env.TEST_SERVICE_LOG_DIR;
    const file = dir && path.join(dir, `${entry.split('/')[0]}-${child.pid}.${extension}`);
    return (chunk: Buffer) => {
      output.push(chunk.toString());
      if (file) appendFileSync(file, chunk);
    };
  };
  child.stdout.on('data', keep('log'));
  child.stderr.on('data', keep('stderr'));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const url = `http://127.0.0.1:${port}`;
  const status = await eventually(
    () =>
      fetch(`${url}${options.readyPath ?? '/ready'}`).then(
        (r) => r.status,
        () => 0,
      ),
    (code) => code === 200 || child.exitCode !== null,
    { timeoutMs: options.timeoutMs ?? 20_000 },
  );
  if (status !== 200) {
    child.kill('SIGKILL');
    throw new Error(`${entry} did not become ready:\n${output.join('')}`);
  }
  return { child, output, url, exited };
}

/** Sends a signal (SIGTERM: a graceful stop) and resolves with the exit code. */
export async function stopService(
  service: ServiceProcess,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<number | null> {
  if (service.child.exitCode === null && service.child.signalCode === null) {
    service.child.kill(signal);
  }
  return service.exited;
}
