import { randomUUID } from 'node:crypto';
import { GetQueueAttributesCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { MessagingResources } from '@marketplace/common';
import pg from 'pg';
import request from 'supertest';
import { OutageProxy } from '../../test-support/outage-proxy';
import { OwnRedis } from '../../test-support/processes';
import { testBullPrefix } from '../../test-support/bullmq';
import { eventually, sleep } from '../../test-support/eventually';
import { createApp } from '../src/app';
import { DrainScheduler } from '../src/messaging/drain-scheduler';
import { listenConnection } from '../src/messaging/ledger-feed';
import { ReadOnlySnapshot } from '../src/reconciliation/read-only-snapshot';
import { startJobs, watchSchedules } from '../src/services';
import { publish, purchaseEvent, sendEvents, tokenFor, watchReceives } from './support/events';
import { ownMessaging, startTestGateway } from './support/test-app';
import type { TestGateway } from './support/test-app';

/**
 * The drain must not stop silently: a Redis that loses its data loses the job schedule, and a
 * ledger database that is down must not turn good sales into dead letters.
 */
const admin = tokenFor({ role: 'admin' });

let redis: OwnRedis;
let messaging: MessagingResources;
const running: TestGateway[] = [];

beforeAll(async () => {
  redis = await OwnRedis.start();
});
afterAll(() => redis.down());
beforeEach(async () => {
  messaging = await ownMessaging();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((gw) => gw.close()));
});

async function gateway(options: Parameters<typeof startTestGateway>[0] = {}): Promise<TestGateway> {
  const gw = await startTestGateway({
    queueUrl: messaging.queueUrl,
    ...options,
    env: { REDIS_URL: redis.url, SCHEDULE_CHECK_INTERVAL_MS: '300', ...options.env },
  });
  running.push(gw);
  return gw;
}

const revenueOf = async (gw: TestGateway, sellerId: string) =>
  (await request(gw.app).get(`/revenue/${sellerId}`).set(admin).expect(200)).body as {
    total_received: number;
  };

/** Publishes a sale and waits until the ledger shows it. */
async function bookedWithin(gw: TestGateway, ms: number): Promise<boolean> {
  const seller = randomUUID();
  await publish(messaging.topicArn, purchaseEvent({ [seller]: 4321 }));
  const revenue = await eventually(
    () => revenueOf(gw, seller),
    (r) => r.total_received === 4321,
    { timeoutMs: ms },
  );
  return revenue.total_received === 4321;
}

test('when Redis is flushed while the worker runs, then the schedule is restored and sales keep being booked', async () => {
  const gw = await gateway();
  await startJobs(gw.services);
  expect(await bookedWithin(gw, 5000)).toBe(true);

  await redis.flushAll();
  expect(await gw.services.scheduler.queue.getJobSchedulers()).toHaveLength(0);

  // A drain already running when the flush came may book a sale before the check restores
  // the schedule: wait for the schedule first, then for a sale booked after it.
  const restored = await eventually(
    () => gw.services.scheduler.queue.getJobSchedulers(),
    (schedulers) => schedulers.length === 1,
    { timeoutMs: 5000 },
  );
  expect(restored).toHaveLength(1);
  expect(await bookedWithin(gw, 5000)).toBe(true);
  expect(gw.logs.join('')).toContain('sqs-drain schedule was missing from Redis; restored');
  const metrics = await request(gw.app).get('/metrics').expect(200);
  expect(metrics.text).toMatch(/drain_schedule_restored_total [1-9]/);
});

test('when Redis is flushed, then an API-only process (no drain worker) restores the schedule too', async () => {
  // A worker process put the schedule in Redis; this one (same queues) only keeps it there.
  const bullPrefix = testBullPrefix('api-only');
  const worker = await gateway({ bullPrefix });
  await worker.services.scheduler.schedule();
  const api = await gateway({ bullPrefix });
  watchSchedules(api.services);
  expect(await api.services.scheduler.queue.getJobSchedulers()).toHaveLength(1);

  await redis.flushAll();

  const restored = await eventually(
    () => api.services.scheduler.queue.getJobSchedulers(),
    (schedulers) => schedulers.length === 1,
    { timeoutMs: 5000 },
  );
  expect(restored).toHaveLength(1);
  expect(api.logs.join('')).toContain('sqs-drain schedule was missing from Redis; restored');
});

test('when Redis restarts empty while the worker runs, then sales keep being booked', async () => {
  const gw = await gateway();
  await startJobs(gw.services);
  expect(await bookedWithin(gw, 5000)).toBe(true);

  await redis.restart();

  expect(await bookedWithin(gw, 10_000)).toBe(true);
  expect(await gw.services.scheduler.queue.getJobSchedulers()).toHaveLength(1);
});

test('when no drain finishes for 3 poll intervals plus the budget, then the worker is not ready and the age gauge shows it', async () => {
  // Poll every 200 ms, budget 500 ms: stalled after 1.1 s.
  const gw = await gateway({
    drainOptions: { budgetMs: 500 },
    bullPrefix: testBullPrefix('stalled'),
  });
  const worker = createApp(gw.services, { drains: true });
  await sleep(1500); // nothing scheduled: no drains

  const stalled = await request(worker).get('/ready').expect(503);
  expect(stalled.body.checks).toEqual({ postgres: 'ok', redis: 'ok', sqs: 'ok', drain: 'failing' });
  const metrics = await request(worker).get('/metrics').expect(200);
  const age = Number(/drain_last_success_age_seconds ([\d.]+)/.exec(metrics.text)?.[1]);
  expect(age).toBeGreaterThan(1.1);

  await startJobs(gw.services);
  const ready = await eventually(
    () => request(worker).get('/ready'),
    (r) => r.status === 200,
  );
  expect(ready.body.checks.drain).toBe('ok');
});

test('when a process serves only the API, then its readiness has no drain check', async () => {
  const gw = await gateway();
  const res = await request(createApp(gw.services, { drains: false }))
    .get('/ready')
    .expect(200);
  expect(Object.keys(res.body.checks)).not.toContain('drain');
});

test('when three processes assert the schedule at once, again and again, then there is one schedule and one next run', async () => {
  const prefix = testBullPrefix('many');
  const schedulers = (await Promise.all([0, 1, 2].map(() => gateway({ bullPrefix: prefix })))).map(
    (gw) => gw.services.scheduler,
  );
  await Promise.all(schedulers.map((s) => s.schedule()));
  await redis.flushAll();
  const restored = await Promise.all(
    [...schedulers, ...schedulers].map((s) => s.ensureScheduled('test')),
  );
  expect(restored.filter(Boolean).length).toBeGreaterThanOrEqual(1);
  const queue = schedulers[0]!.queue;
  expect(await queue.getJobSchedulers()).toHaveLength(1);
  expect(await queue.getJobCountByTypes('delayed', 'waiting', 'prioritized')).toBe(1);
  expect(await queue.getGlobalConcurrency()).toBe(4); // DRAIN_WORKERS_MAX's default
  // Nothing to restore once it is there.
  expect(await schedulers[1]!.ensureScheduled('test')).toBe(false);
  expect(schedulers[0]).toBeInstanceOf(DrainScheduler);
});

test('when provisioned, then the queue and its DLQ keep messages 14 days (the SQS maximum)', async () => {
  const gw = await gateway();
  for (const url of [messaging.queueUrl, messaging.dlqUrl]) {
    const out = await gw.services.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['MessageRetentionPeriod'] }),
    );
    expect(out.Attributes?.MessageRetentionPeriod).toBe(String(14 * 24 * 3600));
  }
});

const TIMEOUTS =
  "SELECT current_setting('statement_timeout') AS statement, current_setting('idle_in_transaction_session_timeout') AS idle";

test.each<[string, string, () => Promise<unknown>]>([
  [
    'a pooled connection',
    '10s',
    async () => (await (await gateway()).services.sequelize.query(TIMEOUTS))[0],
  ],
  [
    "the live feed's LISTEN connection",
    '10s',
    async () => {
      const client = new pg.Client(listenConnection(process.env.TEST_PAYMENTS_DATABASE_URL!));
      await client.connect();
      try {
        return (await client.query(TIMEOUTS)).rows;
      } finally {
        await client.end();
      }
    },
  ],
  [
    "the reconciliation's read-only snapshot",
    '5min',
    async () => {
      const snapshot = await ReadOnlySnapshot.open(process.env.TEST_PAYMENTS_DATABASE_URL!);
      try {
        return await snapshot.query(TIMEOUTS);
      } finally {
        await snapshot.close();
      }
    },
  ],
])(
  'when %s runs a query, then statement (%s) and idle-in-transaction (30s) timeouts bound it',
  async (_connection, statement, timeouts) => {
    expect(await timeouts()).toEqual([{ statement, idle: '30s' }]);
  },
);

async function receiveCountsAndDepths(gw: TestGateway) {
  const attributes = async (url: string) =>
    (
      await gw.services.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      )
    ).Attributes!;
  const queue = await attributes(messaging.queueUrl);
  const dlq = await attributes(messaging.dlqUrl);
  return {
    visible: Number(queue.ApproximateNumberOfMessages),
    inFlight: Number(queue.ApproximateNumberOfMessagesNotVisible),
    dlq: Number(dlq.ApproximateNumberOfMessages),
  };
}

/** The test ledger database behind a TCP proxy that can be cut: its URL through the proxy. */
async function ledgerBehindProxy(): Promise<{ proxy: OutageProxy; throughProxy: URL }> {
  const databaseUrl = new URL(process.env.TEST_PAYMENTS_DATABASE_URL!);
  const proxy = new OutageProxy(new URL(`tcp://${databaseUrl.host}`));
  await proxy.up();
  const throughProxy = new URL(databaseUrl);
  throughProxy.host = `127.0.0.1:${proxy.port}`;
  return { proxy, throughProxy };
}

test('when the ledger database is down, then the drain receives nothing (no sale heads for the DLQ) and books everything once it is back', async () => {
  const { proxy, throughProxy } = await ledgerBehindProxy();
  try {
    const gw = await gateway({ env: { DATABASE_URL: throughProxy.toString() } });
    const seller = randomUUID();
    await publish(messaging.topicArn, purchaseEvent({ [seller]: 900 }));

    await proxy.down();
    // More runs than the DLQ's limit of 5 receives; the backoff holds most of them back.
    const runs = [];
    for (let i = 0; i < 8; i++) {
      runs.push(await gw.services.drain.run());
      await sleep(300);
    }
    expect(runs.every((r) => r.held === true && r.received === 0)).toBe(true);
    expect(await receiveCountsAndDepths(gw)).toEqual({ visible: 1, inFlight: 0, dlq: 0 });
    expect(gw.logs.join('')).toContain('ledger database unreachable; receiving nothing');

    await proxy.up();
    const result = await eventually(
      () => gw.services.drain.run(),
      (r) => r.held !== true,
    );
    expect(result).toMatchObject({ received: 1, booked: 1 });
    expect(await revenueOf(gw, seller)).toMatchObject({ total_received: 900 });
    expect(await receiveCountsAndDepths(gw)).toEqual({ visible: 0, inFlight: 0, dlq: 0 });
  } finally {
    await proxy.down();
  }
});

test('when a backlog keeps a drain going, then a second worker process drains at the same time', async () => {
  const prefix = testBullPrefix('parallel');
  // One loop each, and a slow SQS (100 ms a receive), so 200 messages take a run ~2 s: longer
  // than the 200 ms poll interval, during which the next job must start on the idle worker.
  const workers = await Promise.all(
    [0, 1].map(() =>
      gateway({ bullPrefix: prefix, env: { DRAIN_CONCURRENCY: '1', DRAIN_WORKERS_MAX: '2' } }),
    ),
  );
  const seller = randomUUID();
  await sendEvents(
    workers[0]!.services.sqs,
    messaging.queueUrl,
    Array.from({ length: 200 }, () => purchaseEvent({ [seller]: 10 })),
  );
  const runs: { worker: number; from: number; to: number; received: number }[] = [];
  for (const [index, gw] of workers.entries()) {
    watchReceives(gw.services.sqs, () => sleep(100));
    await gw.services.scheduler.schedule();
    let from = 0;
    await gw.services.scheduler.startWorker(gw.services.drain, (worker) => {
      worker.on('active', () => (from = Date.now()));
      worker.on('completed', (_job, result) =>
        runs.push({ worker: index, from, to: Date.now(), received: result.received }),
      );
    });
  }

  // Until the runs that drained it have finished (the last one ends on an empty receive).
  const received = () => runs.reduce((sum, r) => sum + r.received, 0);
  await eventually(received, (n) => n >= 200, { timeoutMs: 20_000 });

  expect(await revenueOf(workers[0]!, seller)).toMatchObject({ total_received: 2000 });
  const draining = runs.filter((r) => r.received > 0);
  expect(new Set(draining.map((r) => r.worker))).toEqual(new Set([0, 1]));
  const overlapping = draining.some((a) =>
    draining.some((b) => a.worker !== b.worker && a.from < b.to && b.from < a.to),
  );
  expect(overlapping).toBe(true);
  expect(received()).toBe(200);
  expect(await workers[0]!.services.scheduler.queue.getGlobalConcurrency()).toBe(2);
});

test('when the ledger database fails while several loops hold batches, then no run receives until it answers and everything is booked once it is back', async () => {
  const { proxy, throughProxy } = await ledgerBehindProxy();
  try {
    const gw = await gateway({
      env: { DATABASE_URL: throughProxy.toString(), DRAIN_CONCURRENCY: '4' },
    });
    // Failed batches come back after this, rather than SQS's 60 s.
    await gw.services.sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: messaging.queueUrl,
        Attributes: { VisibilityTimeout: '2' },
      }),
    );
    const seller = randomUUID();
    await sendEvents(
      gw.services.sqs,
      messaging.queueUrl,
      Array.from({ length: 100 }, () => purchaseEvent({ [seller]: 7 })),
    );
    // The database goes away as the first batch arrives, while the other loops' receives are
    // in flight.
    let cut = false;
    const receives = watchReceives(gw.services.sqs, async () => {
      if (!cut) await proxy.down();
      cut = true;
    });

    await expect(gw.services.drain.run()).rejects.toThrow();
    const received = receives.total;
    expect(received).toBeGreaterThanOrEqual(4);
    expect(await gw.services.drain.run()).toMatchObject({ held: true, received: 0 });
    expect(receives.total).toBe(received);

    await proxy.up();
    const revenue = await eventually(
      async () => {
        await gw.services.drain.run().catch(() => undefined);
        return revenueOf(gw, seller);
      },
      (r) => r.total_received === 700,
      { timeoutMs: 20_000 },
    );
    expect(revenue).toMatchObject({ total_received: 700, purchases_count: 100 });
    expect(await receiveCountsAndDepths(gw)).toEqual({ visible: 0, inFlight: 0, dlq: 0 });
  } finally {
    await proxy.down();
  }
});
