import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { unique } from './unique';

/**
 * Every BullMQ prefix a test run uses starts with the run's own root, so that at the end the
 * run can prove it left nothing in the shared Redis (other runs, and `make run`, use it too).
 */
const ROOT_VARIABLE = 'TEST_BULLMQ_PREFIX_ROOT';

/** For a global setup: names this run's root once (every project's setup runs in one process). */
export function nameRunPrefix(): void {
  process.env[ROOT_VARIABLE] ??= `test-${randomUUID().slice(0, 8)}`;
}

function runRoot(): string {
  const root = process.env[ROOT_VARIABLE];
  if (!root) throw new Error(`${ROOT_VARIABLE} is unset: the project's global setup names it`);
  return root;
}

/** A BULLMQ_PREFIX of a test's own, under the run's root. */
export function testBullPrefix(name: string): string {
  return unique(`${runRoot()}-${name}`);
}

/** Per prefix, the obliteration under way: one at a time (see obliterateQueues). */
const obliterating = new Map<string, Promise<void>>();

/**
 * Deletes the named queues under `prefix`, whatever they hold (jobs, the job scheduler, the
 * global concurrency): the end of every test's queue. Call it once its workers are closed.
 * Instances sharing a prefix may close at once; BullMQ pauses a queue before obliterating it,
 * and a second obliteration running alongside would find it no longer paused, so they queue.
 */
export function obliterateQueues(
  connection: Redis,
  prefix: string,
  queueNames: readonly string[],
): Promise<void> {
  const previous = obliterating.get(prefix) ?? Promise.resolve();
  const next = previous
    .catch(() => undefined)
    .then(async () => {
      for (const name of queueNames) {
        const queue = new Queue(name, { connection, prefix });
        queue.on('error', () => undefined); // a failure reaches the caller through obliterate()
        try {
          await queue.obliterate({ force: true });
        } finally {
          await queue.close();
        }
      }
    });
  obliterating.set(prefix, next);
  return next;
}

/** For a global teardown: throws, naming them, when keys of this run's prefixes are in Redis. */
export async function assertNoBullKeysLeft(redisUrl: string): Promise<void> {
  const pattern = `${runRoot()}*`;
  const redis = new Redis(redisUrl);
  try {
    const left: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      left.push(...keys);
      cursor = next;
    } while (cursor !== '0');
    if (left.length > 0) {
      throw new Error(
        `the tests left ${left.length} Redis keys behind (a queue not obliterated?):\n  ${left
          .sort()
          .slice(0, 20)
          .join('\n  ')}`,
      );
    }
  } finally {
    await redis.quit();
  }
}
