import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

const SCRIPT = path.resolve(__dirname, '../scripts/sns-sqs-emulator.mjs');

export interface Emulator {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** The fauxqs SNS/SQS emulator as a child process (it is ESM-only), on a free loopback port. */
export async function startEmulator(port = 0): Promise<Emulator> {
  const child = spawn(process.execPath, [SCRIPT], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
  });
  return {
    url,
    process: child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
