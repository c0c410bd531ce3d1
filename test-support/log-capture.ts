import { Writable } from 'node:stream';

/** A destination that keeps every log line the app writes, so tests can assert on logs. */
export function captureLogs(): { lines: string[]; destination: Writable } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, destination };
}
