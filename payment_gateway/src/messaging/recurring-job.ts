import { Queue, Worker } from 'bullmq';
import type { ConnectionOptions, WorkerOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from '@marketplace/common';

/**
 * Redis as BullMQ's production guide sets it up, in two kinds of connection. This one serves
 * the queues, readiness pings and the drain heartbeat: with no offline queue, a command while
 * Redis is away fails at once instead of holding a request, a scrape or a schedule check.
 */
export function failFastRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
}

/**
 * A worker's (BullMQ opens it, and a duplicate for its blocking fetch, and closes both): its
 * commands wait for Redis to come back, however long it takes.
 */
function workerConnection(url: string): ConnectionOptions {
  return { url, maxRetriesPerRequest: null };
}

export interface RecurringJobOptions {
  queueName: string;
  /** The job scheduler's fixed id (also the name of each job it makes). */
  schedulerId: string;
  everyMs: number;
  /**
   * Runs at once across all processes (BullMQ global concurrency; 1 when unset). Each process
   * runs one at a time, so more than one needs as many processes.
   */
  maxParallelRuns?: number;
  /** The queue's connection (a fail-fast one, shared with the process's other Redis calls). */
  connection: Redis;
  /** Where the worker opens connections of its own (ones that wait for Redis). */
  redisUrl: string;
  /** Key prefix in Redis (BULLMQ_PREFIX); tests use their own so they never share a queue. */
  prefix: string;
  /** How often `watch()` checks that the schedule is still in Redis. */
  scheduleCheckIntervalMs: number;
  /** Finished jobs kept for inspection (the dashboard, the last result). */
  keep: { completed: number; failed: number };
  logger: Logger;
  /** Called when `ensureScheduled` had to put the schedule back. */
  onRestored?: () => void;
}

/**
 * A job run every `everyMs` by a BullMQ job scheduler with a fixed id (however many processes
 * start, there is one schedule), at most `maxParallelRuns` runs at a time across all of them
 * (global concurrency; 1 by default).
 *
 * The scheduler adds the next job when a worker takes the current one, so a run that lasts
 * longer than `everyMs` (a drain working through a backlog) lets the next job start on another
 * process one interval later: under load the runs overlap up to the global concurrency, while
 * short runs (an idle queue) stay one per interval.
 *
 * The schedule lives in Redis, so a Redis that loses its data (a restart without persistence,
 * a failover, a FLUSHALL) loses it and the job would never run again. `watch()` puts it back:
 * on every (re)connection, and by a cheap check every interval (a FLUSHALL drops it without
 * any reconnection).
 *
 * The queue's connection is the caller's and stays open at `close()`; the worker's are its own.
 */
export class RecurringJob<Result> {
  readonly queue: Queue;
  private worker: Worker | undefined;
  /** Settles when this process's run in progress (if any) has ended. */
  private running: Promise<unknown> = Promise.resolve();
  private watchTimer: NodeJS.Timeout | undefined;
  private checking = false;
  private readonly onReconnect = () => void this.ensureScheduled('reconnected');

  constructor(private readonly options: RecurringJobOptions) {
    this.queue = new Queue(options.queueName, {
      connection: options.connection,
      prefix: options.prefix,
    });
    this.queue.on('error', (error) =>
      options.logger.warn({ err: error, queue: options.queueName }, 'queue error'),
    );
  }

  /**
   * Waits for Redis, then creates (or keeps) the schedule; fails after `timeoutMs` rather than
   * waiting forever.
   */
  async schedule(timeoutMs = 15_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Redis did not answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.queue.waitUntilReady().then(() => this.upsert()), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private get globalConcurrency(): number {
    return this.options.maxParallelRuns ?? 1;
  }

  private async upsert(): Promise<void> {
    const { schedulerId, everyMs, keep } = this.options;
    await this.queue.setGlobalConcurrency(this.globalConcurrency);
    await this.queue.upsertJobScheduler(
      schedulerId,
      { every: everyMs },
      {
        name: schedulerId,
        opts: { removeOnComplete: { count: keep.completed }, removeOnFail: { count: keep.failed } },
      },
    );
  }

  /** Keeps the schedule in place for as long as the process runs. */
  watch(): void {
    this.options.connection.on('ready', this.onReconnect);
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
    const { schedulerId, everyMs, logger } = this.options;
    try {
      const existing = await this.queue.getJobScheduler(schedulerId);
      // The global concurrency lives in the queue's meta key, which can vanish with the rest.
      await this.queue.setGlobalConcurrency(this.globalConcurrency);
      if (existing?.every === everyMs) return false;
      await this.upsert();
      this.options.onRestored?.();
      logger.warn(
        { reason, scheduler: schedulerId, every_ms: everyMs },
        `${schedulerId} schedule was missing from Redis; restored`,
      );
      return true;
    } catch (error) {
      logger.warn({ err: error, reason, scheduler: schedulerId }, 'could not check the schedule');
      return false;
    } finally {
      this.checking = false;
    }
  }

  /**
   * A worker in this process, one run at a time, on connections of its own; its `error` events
   * are logged, `listen` adds the caller's before the first run can start. Resolves once it is
   * connected.
   */
  async startWorker(
    run: () => Promise<Result>,
    options: Pick<WorkerOptions, 'lockDuration' | 'stalledInterval'>,
    listen: (worker: Worker<unknown, Result>) => void,
  ): Promise<Worker<unknown, Result>> {
    const tracked = () => {
      const result = run();
      this.running = result.catch(() => undefined);
      return result;
    };
    const worker = new Worker<unknown, Result>(this.options.queueName, tracked, {
      ...options,
      connection: workerConnection(this.options.redisUrl),
      concurrency: 1,
      prefix: this.options.prefix,
    });
    worker.on('error', (error) =>
      this.options.logger.error({ err: error, queue: this.options.queueName }, 'worker error'),
    );
    listen(worker);
    this.worker = worker;
    await worker.waitUntilReady();
    return worker;
  }

  /**
   * Stops taking runs, waits for the running one, then closes the worker and the queue.
   *
   * BullMQ's graceful close goes through Redis: it interrupts the worker's blocking fetch and
   * waits for that connection to end, which never happens while Redis is unreachable (the
   * client sits in ioredis' `reconnecting`; bullmq#4656), so a stop would hang until the
   * shutdown deadline. The run itself is this process's own function and needs no Redis to
   * be waited for. So:
   * - Redis reachable: the graceful close, which records the run's result in Redis;
   * - Redis unreachable (the queue's connection is not ready): the worker is closed without
   *   Redis (BullMQ's force), and the running job awaited here;
   * - Redis lost during a graceful close: the running job awaited here, and the close left to
   *   finish by itself should Redis come back (the process exits first).
   * A run whose result could not be recorded stays active in Redis until its lock expires;
   * another worker then takes it up as stalled, which costs one extra drain, nothing more.
   */
  async close(): Promise<void> {
    const { connection, logger, queueName } = this.options;
    clearInterval(this.watchTimer);
    connection.off('ready', this.onReconnect);
    const worker = this.worker;
    if (worker && connection.status !== 'ready') {
      await worker.close(true);
      await this.running;
    } else if (worker) {
      const closing = worker.close();
      let lost: () => void = () => undefined;
      const redisLost = new Promise<'lost'>((resolve) => {
        lost = () => resolve('lost');
        connection.once('close', lost);
      });
      const outcome = await Promise.race([closing.then(() => 'closed' as const), redisLost]);
      connection.off('close', lost);
      if (outcome === 'lost') {
        await this.running;
        logger.warn(
          { queue: queueName },
          'Redis went away while the worker closed; not waiting for it to come back',
        );
      }
    }
    await this.queue.close();
  }
}
