import { appendFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';

/**
 * A destination that keeps every log line the app writes, so tests can assert on logs. With
 * a directory (set by the project's global setup), each line is also appended to a file of
 * this worker's, which the global teardown scans for secrets once the whole suite has run.
 */
export function captureLogs(dir?: string): { lines: string[]; destination: Writable } {
  const lines: string[] = [];
  const file = dir ? path.join(dir, `worker-${process.pid}.log`) : undefined;
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const line = chunk.toString();
      lines.push(line);
      if (file) appendFileSync(file, line);
      done();
    },
  });
  return { lines, destination };
}

/** Where a project's captured logs go during a run (apart per TEST_DB_SUFFIX, like databases). */
export function freshLogDir(project: string): string {
  const dir = path.join(
    tmpdir(),
    `marketplace-test-logs${process.env.TEST_DB_SUFFIX ?? ''}`,
    project,
  );
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A process's JSON log output (pino's), one object a line. */
export function jsonLines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
