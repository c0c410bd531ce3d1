import { Queue } from 'bullmq';
import type { Worker } from 'bullmq';
import { createLogger } from '@marketplace/common';
import type { Redis } from 'ioredis';
import { waitFor } from '../../test-support/eventually';
import { captureLogs } from '../../test-support/log-capture';
import { OwnRedis } from '../../test-support/processes';
import { failFastRedis, RecurringJob } from '../src/messaging/recurring-job';

/**
 * How a recurring job's worker stops (the drain's and the reconciliation's, at SIGTERM): the
 * run in progress always finishes first, and Redis being away must not make the stop hang.
 * Each test has a redis-server of its own, which it may kill.
 */
let redis: OwnRedis;
let connection: Redis;
let job: RecurringJob<string>;
let worker: Worker<unknown, string>;
let logs: string[];
/** The first run is held until the test releases it; later ones end at once. */
let release: () => void;
let runs: number;

beforeEach(async () => {
  redis = await OwnRedis.start();
  connection = failFastRedis(redis.url);
  connection.on('error', () => undefined); // this file kills Redis on purpose
  const capture = captureLogs(process.env.TEST_PAYMENTS_LOG_DIR);
  logs = capture.lines;
  runs = 0;
  job = new RecurringJob<string>({
    queueName: 'close-test',
    schedulerId: 'close-test',
    everyMs: 100,
    connection,
    redisUrl: redis.url,
    prefix: 'close-test',
    scheduleCheckIntervalMs: 60_000,
    keep: { completed: 10, failed: 10 },
    logger: createLogger({ name: 'payment_gateway', level: 'info' }, capture.destination),
  });
  await job.schedule();
  worker = await job.startWorker(
    () =>
      new Promise<string>((resolve) => {
        runs += 1;
        if (runs === 1) release = () => resolve('done');
        else resolve('done');
      }),
    { lockDuration: 10_000, stalledInterval: 5_000 },
    (worker) => worker.on('error', () => undefined),
  );
  await waitFor('a run in progress', () => runs === 1);
});

afterEach(async () => {
  connection.disconnect();
  await redis.down();
});

/** Whether the promise settles within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

async function completedRuns(): Promise<number> {
  const queue = new Queue('close-test', { connection: { url: redis.url }, prefix: 'close-test' });
  try {
    return (await queue.getJobCounts('completed')).completed ?? 0;
  } finally {
    await queue.close();
  }
}

test('when Redis is up and a run is in progress, then close waits for it and records it completed', async () => {
  const closing = job.close();
  expect(await settlesWithin(closing, 500)).toBe(false);
  release();
  expect(await settlesWithin(closing, 2000)).toBe(true);
  expect(runs).toBe(1); // no run started after close
  expect(await completedRuns()).toBe(1);
});

test('when Redis is down and no run is in progress, then close returns at once', async () => {
  release();
  await waitFor('the run recorded', async () => (await completedRuns()) >= 1);
  await redis.down();
  await waitFor('the connection to see Redis gone', () => connection.status !== 'ready');
  const started = Date.now();
  expect(await settlesWithin(job.close(), 5000)).toBe(true);
  expect(Date.now() - started).toBeLessThan(1000);
});

test('when Redis is down and a run is in progress, then close waits for the run, then returns at once', async () => {
  await redis.down();
  await waitFor('the connection to see Redis gone', () => connection.status !== 'ready');
  const closing = job.close();
  expect(await settlesWithin(closing, 500)).toBe(false);
  release();
  expect(await settlesWithin(closing, 1000)).toBe(true);
});

test('when Redis goes away during a close that waits for a run, then close still returns once the run ends', async () => {
  const closing = job.close();
  expect(await settlesWithin(closing, 300)).toBe(false);
  await redis.down();
  expect(await settlesWithin(closing, 300)).toBe(false);
  release();
  expect(await settlesWithin(closing, 1000)).toBe(true);
  expect(logs.join('')).toContain('Redis went away while the worker closed');

  // The close left behind ends by itself once Redis is back (in the service, the process
  // has exited by then).
  const closed = new Promise<void>((resolve) => worker.once('closed', () => resolve()));
  await redis.up();
  expect(await settlesWithin(closed, 5000)).toBe(true);
});
