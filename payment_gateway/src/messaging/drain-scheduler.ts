import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from '@marketplace/common';
import type { Metrics } from '../metrics';
import type { SqsDrain } from './sqs-drain';

export const POLL_QUEUE_NAME = 'sqs-poll';
/** Fixed id: however many instances start, upsertJobScheduler leaves one schedule. */
export const DRAIN_SCHEDULER_ID = 'sqs-drain';
/** Longer than the drain budget, so a running drain never loses its lock. */
const LOCK_DURATION_MS = 30_000;

/** ioredis connections for BullMQ: workers block, so commands must not give up retrying. */
export function bullConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false });
}

/**
 * The poll queue with its job scheduler (every POLL_INTERVAL_MS) and, in worker mode, the
 * worker that runs one drain per job. Global concurrency 1: one drain at a time across all
 * instances, since SQS receives are already shared and parallel drains would only contend.
 */
export class DrainScheduler {
  readonly queue: Queue;
  private worker: Worker | undefined;
  private drain: SqsDrain | undefined;
  private readonly connections: Redis[] = [];

  constructor(
    private readonly options: {
      redisUrl: string;
      pollIntervalMs: number;
      logger: Logger;
      metrics: Metrics;
      /** Key prefix in Redis (BULLMQ_PREFIX); tests use their own so they never share a queue. */
      prefix: string;
    },
  ) {
    this.queue = new Queue(POLL_QUEUE_NAME, {
      connection: this.connect(),
      prefix: options.prefix,
    });
  }

  private connect(): Redis {
    const connection = bullConnection(this.options.redisUrl);
    this.connections.push(connection);
    return connection;
  }

  /** Fails after `timeoutMs` rather than waiting forever for an unreachable Redis. */
  async schedule(timeoutMs = 15_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Redis did not answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.upsert(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async upsert(): Promise<void> {
    await this.queue.setGlobalConcurrency(1);
    await this.queue.upsertJobScheduler(
      DRAIN_SCHEDULER_ID,
      { every: this.options.pollIntervalMs },
      {
        name: 'drain',
        opts: { removeOnComplete: { count: 100 }, removeOnFail: { count: 500 } },
      },
    );
  }

  startWorker(drain: SqsDrain): Worker {
    this.drain = drain;
    const { logger, metrics } = this.options;
    const worker = new Worker(POLL_QUEUE_NAME, () => drain.run(), {
      connection: this.connect(),
      concurrency: 1,
      lockDuration: LOCK_DURATION_MS,
      prefix: this.options.prefix,
    });
    worker.on('completed', (job, result) => {
      metrics.drainRuns.inc({ outcome: 'completed' });
      const drained = result as { received: number };
      if (drained.received > 0) logger.info({ job_id: job.id, ...drained }, 'drain finished');
    });
    worker.on('failed', (job, error) => {
      metrics.drainRuns.inc({ outcome: 'failed' });
      logger.error({ job_id: job?.id, err: error }, 'drain failed; messages stay queued');
    });
    worker.on('error', (error) => logger.error({ err: error }, 'drain worker error'));
    this.worker = worker;
    return worker;
  }

  /** Stops taking jobs, waits for the running drain, then closes the queue and connections. */
  async close(): Promise<void> {
    this.drain?.stop(); // the running drain ends after its current batch
    await this.worker?.close();
    await this.queue.close();
    await Promise.all(this.connections.map((c) => c.quit().catch(() => c.disconnect())));
  }
}
