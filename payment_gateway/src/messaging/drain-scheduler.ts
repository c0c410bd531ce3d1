import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '@marketplace/common';
import type { Metrics } from '../metrics';
import type { DrainHeartbeat } from './drain-heartbeat';
import { RecurringJob } from './recurring-job';
import type { DrainResult, SqsDrain } from './sqs-drain';

export const POLL_QUEUE_NAME = 'sqs-poll';
/** Fixed id: however many instances start, upsertJobScheduler leaves one schedule. */
export const DRAIN_SCHEDULER_ID = 'sqs-drain';
/**
 * The worker renews a running drain's lock every half of this. Short, because the job of a
 * worker that died (SIGKILL, OOM) holds one of the DRAIN_WORKERS_MAX slots (all of them at 1)
 * until another worker finds it stalled: lock expiry plus at most one stalled-check interval,
 * ~15 s.
 */
const LOCK_DURATION_MS = 10_000;
const STALLED_CHECK_INTERVAL_MS = 5_000;

/**
 * The poll queue with its job scheduler (every POLL_INTERVAL_MS), kept in Redis by `watch()`,
 * and, in worker mode, the worker that runs one drain per job. Up to DRAIN_WORKERS_MAX drains
 * at once across all instances (global concurrency), one per process: while a backlog keeps a
 * drain going, the next interval's job starts on another process, so N workers drain in
 * parallel within N intervals; an idle queue gives short runs, one per interval.
 */
export class DrainScheduler {
  private readonly job: RecurringJob<DrainResult>;
  private drain: SqsDrain | undefined;

  constructor(
    private readonly options: {
      /** The queue's fail-fast connection (the worker opens its own from `redisUrl`). */
      connection: Redis;
      redisUrl: string;
      pollIntervalMs: number;
      /** Drains at once across all processes (DRAIN_WORKERS_MAX). */
      maxParallelRuns: number;
      scheduleCheckIntervalMs: number;
      logger: Logger;
      metrics: Metrics;
      heartbeat: DrainHeartbeat;
      prefix: string;
    },
  ) {
    this.job = new RecurringJob({
      queueName: POLL_QUEUE_NAME,
      schedulerId: DRAIN_SCHEDULER_ID,
      everyMs: options.pollIntervalMs,
      maxParallelRuns: options.maxParallelRuns,
      connection: options.connection,
      redisUrl: options.redisUrl,
      prefix: options.prefix,
      scheduleCheckIntervalMs: options.scheduleCheckIntervalMs,
      keep: { completed: 100, failed: 500 },
      logger: options.logger,
      onRestored: () => options.metrics.scheduleRestored.inc(),
    });
  }

  get queue() {
    return this.job.queue;
  }

  schedule(timeoutMs?: number): Promise<void> {
    return this.job.schedule(timeoutMs);
  }

  watch(): void {
    this.job.watch();
  }

  ensureScheduled(reason: string): Promise<boolean> {
    return this.job.ensureScheduled(reason);
  }

  /**
   * Starts this process's drain worker; resolves once it is connected. `listen` may add
   * listeners of its own before the first run can start.
   */
  startWorker(
    drain: SqsDrain,
    listen: (worker: Worker<unknown, DrainResult>) => void = () => undefined,
  ): Promise<Worker<unknown, DrainResult>> {
    this.drain = drain;
    const { logger, metrics, heartbeat } = this.options;
    return this.job.startWorker(
      () => drain.run(),
      { lockDuration: LOCK_DURATION_MS, stalledInterval: STALLED_CHECK_INTERVAL_MS },
      (worker) => {
        worker.on('completed', (job, result) => {
          // A run held back by an unreachable ledger database drained nothing: not a success.
          metrics.drainRuns.inc({ outcome: result.held ? 'held' : 'completed' });
          if (!result.held) void heartbeat.record();
          if (result.received > 0) logger.info({ job_id: job.id, ...result }, 'drain finished');
        });
        worker.on('failed', (job, error) => {
          metrics.drainRuns.inc({ outcome: 'failed' });
          logger.error({ job_id: job?.id, err: error }, 'drain failed; messages stay queued');
        });
        listen(worker);
      },
    );
  }

  /** Stops taking jobs, waits for the running drain, then closes the queue and connections. */
  async close(): Promise<void> {
    this.drain?.stop(); // the running drain ends after its batches in hand
    await this.job.close();
  }
}
