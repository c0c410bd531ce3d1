import { spawn } from 'node:child_process';
import path from 'node:path';
import { jsonLines } from '../../test-support/log-capture';

/**
 * An exception nobody caught or a rejection nobody handled: the process writes one `fatal`
 * line with the error and its stack, then exits 1 (exit codes need a process of their own).
 */
const ROOT = path.resolve(__dirname, '../..');

function crash(
  failure: string,
): Promise<{ code: number | null; lines: Record<string, unknown>[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(__dirname, 'support/crash.ts'), failure],
      { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] },
    );
    let output = '';
    let told = false;
    // A process that does not exit by itself is a failure of the test, not one left running.
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    // A child that died early closes its stdin: its exit code tells, not an EPIPE here.
    child.stdin.on('error', () => undefined);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      // The child fails only once its `ready` line has reached us. Failing at a fixed delay
      // raced that line's write (pino writes asynchronously, on libuv's thread pool, which a
      // loaded machine can hold back): the fatal line, written synchronously, then came first.
      if (!told && output.includes('\n')) {
        told = true;
        child.stdin.write('fail\n');
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, lines: jsonLines(output) });
    });
  });
}

test.each([
  ['an uncaught exception', 'uncaught exception', 'boom'],
  ['an unhandled rejection', 'unhandled rejection', 'nope'],
])(
  'when %s happens, then one fatal line with its stack and exit 1',
  async (failure, msg, cause) => {
    const { code, lines } = await crash(failure);
    expect(code).toBe(1);
    expect(lines.map((line) => [line.level, line.msg])).toEqual([
      [30, 'ready'],
      [60, msg],
    ]);
    expect(lines[1]).toMatchObject({
      err: {
        message: cause,
        stack: expect.stringMatching(new RegExp(`^Error: ${cause}\\n\\s+at .*crash\\.ts`)),
      },
    });
  },
);
