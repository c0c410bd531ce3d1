import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from '@marketplace/common';
import type { Metrics } from '../metrics';
import type { DrainHeartbeat } from './drain-heartbeat';
import type { DrainResult, SqsDrain } from './sqs-drain';

export const POLL_QUEUE_NAME = 'sqs-poll';
/** Fixed id: however many instances start, upsertJobScheduler leaves one schedule. */
export const DRAIN_SCHEDULER_ID = 'sqs-drain';
/**
 * The worker renews a running drain's lock every half of this. Short, because with global
 * concurrency 1 the job of a worker that died (SIGKILL, OOM) blocks every drain until another
 * worker finds it stalled: lock expiry plus at most one stalled-check interval, ~15 s.
 */
const LOCK_DURATION_MS = 10_000;
const STALLED_CHECK_INTERVAL_MS = 5_000;

/** ioredis connections for BullMQ: workers block, so commands must not give up retrying. */
export function bullConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false });
}

/**
 * The poll queue with its job scheduler (every POLL_INTERVAL_MS) and, in worker mode, the
 * worker that runs one drain per job. Global concurrency 1: one drain at a time across all
 * instances, since SQS receives are already shared and parallel drains would only contend.
 *
 * The schedule lives in Redis, so a Redis that loses its data (a restart without persistence,
 * a failover, a FLUSHALL) loses it, and nothing would ever drain again. `watch()` puts it back:
 * on every (re)connection, and by a cheap check every SCHEDULE_CHECK_INTERVAL_MS.
 */
export class DrainScheduler {
  readonly queue: Queue;
  private worker: Worker | undefined;
  private drain: SqsDrain | undefined;
  private readonly connections: Redis[] = [];
  private readonly queueConnection: Redis;
  private watchTimer: NodeJS.Timeout | undefined;
  private checking = false;
  private readonly onReconnect = () => void this.ensureScheduled('reconnected');

  constructor(
    private readonly options: {
      redisUrl: string;
      pollIntervalMs: number;
      /** How often `watch()` checks that the schedule is still in Redis. */
      scheduleCheckIntervalMs: number;
      logger: Logger;
      metrics: Metrics;
      heartbeat: DrainHeartbeat;
      /** Key prefix in Redis (BULLMQ_PREFIX); tests use their own so they never share a queue. */
      prefix: string;
    },
  ) {
    this.queueConnection = this.connect();
    this.queue = new Queue(POLL_QUEUE_NAME, {
      connection: this.queueConnection,
      prefix: options.prefix,
    });
    this.queue.on('error', (error) => options.logger.warn({ err: error }, 'poll queue error'));
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

  /**
   * Keeps the schedule in place for as long as the process runs: re-asserted whenever the
   * queue's Redis connection becomes ready again, and checked every interval (a FLUSHALL
   * drops it without any reconnection).
   */
  watch(): void {
    this.queueConnection.on('ready', this.onReconnect);
    this.watchTimer = setInterval(
      () => void this.ensureScheduled('periodic check'),
      this.options.scheduleCheckIntervalMs,
    );
    this.watchTimer.unref();
  }

  /**
   * Puts the schedule back when it is missing (or has another interval). Upserting with the
   * fixed id is idempotent, so several processes doing this at once still leave one schedule.
   * Returns whether it had to be restored.
   */
  async ensureScheduled(reason: string): Promise<boolean> {
    if (this.checking) return false; // one check at a time: Redis may be slow to answer
    this.checking = true;
    try {
      const existing = await this.queue.getJobScheduler(DRAIN_SCHEDULER_ID);
      // The global concurrency lives in the queue's meta key, which can vanish with the rest.
      await this.queue.setGlobalConcurrency(1);
      if (existing?.every === this.options.pollIntervalMs) return false;
      await this.upsert();
      this.options.metrics.scheduleRestored.inc();
      this.options.logger.warn(
        { reason, scheduler: DRAIN_SCHEDULER_ID, every_ms: this.options.pollIntervalMs },
        'drain schedule was missing from Redis; restored',
      );
      return true;
    } catch (error) {
      this.options.logger.warn({ err: error, reason }, 'could not check the drain schedule');
      return false;
    } finally {
      this.checking = false;
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
    const { heartbeat } = this.options;
    const worker = new Worker(POLL_QUEUE_NAME, () => drain.run(), {
      connection: this.connect(),
      concurrency: 1,
      lockDuration: LOCK_DURATION_MS,
      stalledInterval: STALLED_CHECK_INTERVAL_MS,
      prefix: this.options.prefix,
    });
    worker.on('completed', (job, result: DrainResult) => {
      // A run held back by an unreachable ledger database drained nothing: not a success.
      metrics.drainRuns.inc({ outcome: result.held ? 'held' : 'completed' });
      if (!result.held) void heartbeat.record();
      if (result.received > 0) logger.info({ job_id: job.id, ...result }, 'drain finished');
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
    clearInterval(this.watchTimer);
    this.queueConnection.off('ready', this.onReconnect);
    this.drain?.stop(); // the running drain ends after its current batch
    await this.worker?.close();
    await this.queue.close();
    await Promise.all(this.connections.map((c) => c.quit().catch(() => c.disconnect())));
  }
}
