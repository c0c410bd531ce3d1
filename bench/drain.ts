import { randomUUID } from 'node:crypto';
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { createSnsClient, createSqsClient, provisionMessaging } from '@marketplace/common';
import type { PurchaseEvent } from '@marketplace/common';
import { Client } from 'pg';
import { prepareDatabase } from '../payment_gateway/src/data/database';
import { purchaseEvent } from '../payment_gateway/test/support/events';
import { inParallel } from '../faults/support/load';
import { dropDatabase, recreateDatabase } from '../test-support/database';
import { startEmulator } from '../test-support/emulator';
import type { Emulator } from '../test-support/emulator';
import { OwnRedis } from '../test-support/processes';
import { startService, stopService } from '../test-support/service-process';
import type { ServiceProcess } from '../test-support/service-process';
import { cpuSeconds, machineCpu, peakRssMb } from './process-stats';
import type { BenchContext, BenchStep } from './types';

/**
 * The payment gateway's SQS drain against the emulator's own ceiling. Each phase pre-publishes
 * EVENTS purchase events (1-3 sellers each) to a fresh queue, then:
 *  a) ceiling: POLLERS concurrent receive(10)+delete loops, no database;
 *  b) one compiled worker process (RUN_MODE=worker) drains them into a fresh ledger;
 *  c) three worker processes do the same.
 * Drain throughput counts ledger entries from the first booked to the last (the row count is
 * polled), so process start-up is not part of it.
 */
const EVENTS = Number(process.env.BENCH_DRAIN_EVENTS ?? 20_000);
/** Concurrent receive loops per worker (DRAIN_CONCURRENCY), and the ceiling's pollers. */
const POLLERS = Number(process.env.BENCH_DRAIN_CONCURRENCY ?? 4);
const SELLERS = 1000;
const DRAIN_TIMEOUT_MS = 60_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Phase {
  queueUrl: string;
  entries: number;
}

const sellers = Array.from({ length: SELLERS }, () => randomUUID());

/** Event `i`: 1, 2, 3 sellers in turn (2 ledger entries per event on average). */
function eventNumber(i: number): PurchaseEvent {
  const items: Record<string, number> = {};
  for (let s = 0; s <= i % 3; s++) items[sellers[(i * 7 + s * 13) % SELLERS]!] = 100 + (i % 997);
  return purchaseEvent(items);
}

/** A fresh topic/queue/DLQ (as production provisions them) holding EVENTS events. */
async function filledQueue(endpoint: string, sqs: SQSClient, label: string): Promise<Phase> {
  const sns = createSnsClient({ AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: endpoint });
  const name = `bench-${label}-${randomUUID().slice(0, 8)}`;
  const { queueUrl } = await provisionMessaging(sns, sqs, {
    topic: name,
    queue: `${name}-queue`,
    dlq: `${name}-dlq`,
  });
  sns.destroy();
  let entries = 0;
  const batches: PurchaseEvent[][] = [];
  for (let i = 0; i < EVENTS; i += 10) {
    const batch = Array.from({ length: Math.min(10, EVENTS - i) }, (_, k) => eventNumber(i + k));
    entries += batch.reduce((sum, e) => sum + Object.keys(e.items).length, 0);
    batches.push(batch);
  }
  // The subscription delivers raw messages: the body is the event itself.
  await inParallel(batches, { concurrency: 8 }, async (batch) => {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((event, k) => ({
          Id: String(k),
          MessageBody: JSON.stringify(event),
          MessageAttributes: {
            event_type: { DataType: 'String', StringValue: event.event_type },
          },
        })),
      }),
    );
  });
  return { queueUrl, entries };
}

/** Receive+delete with `pollers` loops until the queue is empty: the emulator's own ceiling. */
async function ceiling(sqs: SQSClient, queueUrl: string, pollers: number, emulatorPid: number) {
  let messages = 0;
  let entries = 0;
  const started = performance.now();
  const machineBefore = machineCpu();
  const emulatorBefore = cpuSeconds(emulatorPid);
  await Promise.all(
    Array.from({ length: pollers }, async () => {
      for (;;) {
        const out = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 0,
            MessageAttributeNames: ['All'],
            MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
          }),
        );
        const received = out.Messages ?? [];
        if (received.length === 0) return;
        messages += received.length;
        for (const m of received) {
          entries += Object.keys((JSON.parse(m.Body!) as PurchaseEvent).items).length;
        }
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: received.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
          }),
        );
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const machine = machineCpu();
  return {
    messages,
    entries,
    seconds,
    machineBusy: (machine.busy - machineBefore.busy) / (machine.total - machineBefore.total),
    emulatorCores: (cpuSeconds(emulatorPid) - emulatorBefore) / seconds,
  };
}

/**
 * Polls the ledger's row count: seconds from the first booked entry to the last, and how busy
 * the machine (all cores) and the emulator were over that window.
 */
async function timeDrain(databaseUrl: string, expected: number, emulatorPid: number) {
  const client = new Client({ connectionString: databaseUrl });
  client.on('error', () => undefined); // a failed phase drops the database under it
  await client.connect();
  try {
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    let first:
      { at: number; machine: { busy: number; total: number }; emulator: number } | undefined;
    let count = 0;
    while (count < expected) {
      if (Date.now() > deadline) {
        throw new Error(`drain booked ${count} of ${expected} entries in ${DRAIN_TIMEOUT_MS} ms`);
      }
      await sleep(25);
      count = Number(
        (await client.query<{ n: string }>('SELECT count(*) AS n FROM ledger_entries')).rows[0]!.n,
      );
      if (count > 0 && first === undefined) {
        first = { at: performance.now(), machine: machineCpu(), emulator: cpuSeconds(emulatorPid) };
      }
    }
    const seconds = (performance.now() - first!.at) / 1000;
    const machine = machineCpu();
    return {
      entries: count,
      seconds,
      /** Share of all cores busy during the drain (1 = every core at 100%). */
      machineBusy: (machine.busy - first!.machine.busy) / (machine.total - first!.machine.total),
      /** Cores' worth of CPU the emulator used during the drain. */
      emulatorCores: (cpuSeconds(emulatorPid) - first!.emulator) / seconds,
    };
  } finally {
    await client.end();
  }
}

/** CPU seconds of the PostgreSQL backends serving this database (the workers' pools). */
async function backendCpuSeconds(databaseUrl: string): Promise<number> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    return rows.reduce((sum, { pid }) => sum + cpuSeconds(pid), 0);
  } finally {
    await client.end();
  }
}

async function workersDrain(
  context: BenchContext,
  setup: {
    endpoint: string;
    emulatorPid: number;
    sqs: SQSClient;
    redis: OwnRedis;
    databaseUrl: string;
  },
  workers: number,
) {
  await recreateDatabase(setup.databaseUrl, prepareDatabase);
  const phase = await filledQueue(setup.endpoint, setup.sqs, `w${workers}`);
  context.log(`drain: ${EVENTS} events (${phase.entries} entries) queued for ${workers} worker(s)`);
  const prefix = `bench-drain-${randomUUID().slice(0, 8)}`;
  const started: ServiceProcess[] = [];
  try {
    const timing = timeDrain(setup.databaseUrl, phase.entries, setup.emulatorPid);
    timing.catch(() => undefined); // awaited below; a start-up failure must not leave it unhandled
    await Promise.all(
      Array.from({ length: workers }, async () => {
        const service = await startService(
          'payment_gateway/dist/main.js',
          {
            RUN_MODE: 'worker',
            NODE_ENV: 'development',
            DATABASE_URL: setup.databaseUrl,
            REDIS_URL: setup.redis.url,
            SQS_QUEUE_URL: phase.queueUrl,
            AWS_ENDPOINT_URL: setup.endpoint,
            AWS_REGION: 'us-east-1',
            POLL_INTERVAL_MS: '100',
            BULLMQ_PREFIX: prefix,
            DRAIN_CONCURRENCY: String(POLLERS),
            DRAIN_WORKERS_MAX: String(workers),
            LOG_LEVEL: process.env.BENCH_DRAIN_LOG_LEVEL ?? 'info',
          },
          {
            readyPath: '/health',
          },
        );
        started.push(service);
      }),
    );
    const result = await timing;
    const postgresCpu = await backendCpuSeconds(setup.databaseUrl);
    const rss = started.map((s) => peakRssMb(s.child.pid!));
    // Whole life of each worker (start-up included): CPU seconds per 1000 entries booked.
    const workerCpu = started.reduce((sum, s) => sum + cpuSeconds(s.child.pid!), 0);
    const booked = started.map((s) => s.output.join('').split('"msg":"event booked"').length - 1);
    return {
      ...result,
      rss,
      booked,
      workerCpuPer1000: (workerCpu / result.entries) * 1000,
      postgresCpuPer1000: (postgresCpu / result.entries) * 1000,
    };
  } finally {
    await Promise.all(started.map((s) => stopService(s)));
  }
}

export const benchDrain: BenchStep = async (context) => {
  // TEST_DB_SUFFIX, when set, keeps two runs on one PostgreSQL apart.
  const databaseUrl = `${context.postgresUrl}/payments_bench_drain${process.env.TEST_DB_SUFFIX ?? ''}`;
  let emulator: Emulator | undefined;
  let redis: OwnRedis | undefined;
  let sqs: SQSClient | undefined;
  try {
    emulator = await startEmulator();
    redis = await OwnRedis.start();
    sqs = createSqsClient({ AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: emulator.url });
    const setup = {
      endpoint: emulator.url,
      emulatorPid: emulator.process.pid!,
      sqs,
      redis,
      databaseUrl,
    };

    const queued = await filledQueue(emulator.url, sqs, 'ceiling');
    const top = await ceiling(sqs, queued.queueUrl, POLLERS, setup.emulatorPid);
    const ceilingEntriesPerS = top.entries / top.seconds;
    context.log(
      `drain: emulator ceiling ${Math.round(top.messages / top.seconds)} messages/s, ${Math.round(ceilingEntriesPerS)} entries/s (${POLLERS} pollers)`,
    );

    const one = await workersDrain(context, setup, 1);
    const onePerS = one.entries / one.seconds;
    context.log(`drain: 1 worker ${Math.round(onePerS)} entries/s`);
    const three = await workersDrain(context, setup, 3);
    const threePerS = three.entries / three.seconds;
    context.log(
      `drain: 3 workers ${Math.round(threePerS)} entries/s (events booked per worker ${three.booked.join(', ')})`,
    );

    const round = (n: number, digits = 0) => Number(n.toFixed(digits));
    return {
      figures: {
        drain_entries_per_s: round(onePerS),
        drain_ratio: round(onePerS / ceilingEntriesPerS, 2),
        drain_scale_3_workers: round(threePerS / onePerS, 2),
      },
      rows: [
        ['events per phase', `${EVENTS} (1-3 sellers each)`],
        ['receive loops per process / ceiling pollers', String(POLLERS)],
        [
          'emulator ceiling (receive+delete, no DB)',
          `${round(top.messages / top.seconds)} msg/s, ${round(ceilingEntriesPerS)} entries/s, ${top.seconds.toFixed(1)} s`,
        ],
        [
          'ceiling: CPU',
          `machine ${(top.machineBusy * 100).toFixed(0)}% of all cores busy, emulator ${top.emulatorCores.toFixed(2)} cores`,
        ],
        ['1 worker', `${round(onePerS)} entries/s (${one.entries} in ${one.seconds.toFixed(1)} s)`],
        [
          '3 workers',
          `${round(threePerS)} entries/s (${three.entries} in ${three.seconds.toFixed(1)} s); events booked per worker ${three.booked.join(', ')}`,
        ],
        ...[one, three].map((run, i): [string, string] => [
          `${i === 0 ? 1 : 3} worker(s): CPU during the drain`,
          `machine ${(run.machineBusy * 100).toFixed(0)}% of all cores busy, emulator ${run.emulatorCores.toFixed(2)} cores, workers ${run.workerCpuPer1000.toFixed(2)} and their PostgreSQL backends ${run.postgresCpuPer1000.toFixed(2)} CPU s per 1000 entries (whole life, start-up included)`,
        ]),
        ['1 worker peak RSS MB', String(one.rss[0])],
        ['3 workers peak RSS MB', three.rss.join(', ')],
      ],
      peakRssMb: {
        'payment_gateway worker (1 of 1)': one.rss[0]!,
        'payment_gateway worker (max of 3)': Math.max(...three.rss),
      },
    };
  } finally {
    sqs?.destroy();
    await redis?.down();
    await emulator?.stop();
    await dropDatabase(databaseUrl).catch(() => undefined);
  }
};
