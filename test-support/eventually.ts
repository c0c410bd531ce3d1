export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface PollOptions {
  /** How long to keep reading (10 s unless given). */
  timeoutMs?: number;
  /** The pause between reads (100 ms unless given). */
  intervalMs?: number;
}

/**
 * The one way tests wait for something that happens asynchronously (a drain, a relay, a log
 * line, a process): reads until `done` accepts the value or the time is up, and returns the
 * last value read either way, so the test's own assertion on it shows what was there.
 */
export async function eventually<T>(
  read: () => T | Promise<T>,
  done: (value: T) => boolean,
  { timeoutMs = 10_000, intervalMs = 100 }: PollOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await sleep(intervalMs);
    value = await read();
  }
  return value;
}

/** `eventually` for a condition with nothing to assert on: throws, naming `what`, when it stays false. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  options: PollOptions = {},
): Promise<void> {
  if (!(await eventually(check, Boolean, options))) {
    throw new Error(`timed out after ${options.timeoutMs ?? 10_000} ms waiting for ${what}`);
  }
}
