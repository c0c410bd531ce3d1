import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '@marketplace/common';
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { bullConnection } from '../messaging/drain-scheduler';
import type { Reconciler } from './reconciler';
import { DRIFT_KINDS } from './reconciliation';
import type { DriftKind } from './reconciliation';

export const RECONCILE_QUEUE_NAME = 'reconcile';
/** Fixed id: however many workers start, one schedule. */
export const RECONCILE_SCHEDULER_ID = 'reconcile';
/** Well above a run over ~100k purchases (a few seconds). */
const LOCK_DURATION_MS = 120_000;
const SCRAPE_TIMEOUT_MS = 2000;

/** What a run leaves in Redis (the job's return value), for every instance's gauges. */
export interface ReconcileRunSummary {
  ok: boolean;
  finished_at: string;
  in_flight: number;
  drift: Record<DriftKind, number>;
}

/**
 * The reconciliation as a BullMQ job scheduler of its own (queue `reconcile`), every
 * RECONCILE_INTERVAL_MS, one run at a time across workers. A run logs its outcome (warn on
 * drift) and its summary stays with the job, so the gauges of any instance show the latest run,
 * whichever worker did it. Like the drain's, the schedule is put back if Redis loses it.
 */
export class ReconcileScheduler {
  readonly queue: Queue;
  private worker: Worker | undefined;
  private readonly connections: Redis[] = [];
  private readonly queueConnection: Redis;
  private watchTimer: NodeJS.Timeout | undefined;
  private readonly onReconnect = () => void this.ensureScheduled();

  constructor(
    private readonly options: {
      redisUrl: string;
      intervalMs: number;
      /** BULLMQ_PREFIX, as for the drain queue. */
      prefix: string;
      reconciler: Reconciler;
      logger: Logger;
      registry: Registry;
      /** How often `watch()` checks that the schedule is still in Redis. */
      scheduleCheckIntervalMs: number;
      graceSeconds?: number;
    },
  ) {
    this.queueConnection = this.connect();
    this.queue = new Queue(RECONCILE_QUEUE_NAME, {
      connection: this.queueConnection,
      prefix: options.prefix,
    });
    this.queue.on('error', (error) => options.logger.warn({ err: error }, 'reconcile queue error'));
    this.registerGauges(options.registry);
  }

  private connect(): Redis {
    const connection = bullConnection(this.options.redisUrl);
    this.connections.push(connection);
    return connection;
  }

  /** The summary of the latest finished run, or undefined before the first one. */
  async lastRun(): Promise<ReconcileRunSummary | undefined> {
    const [job] = await this.queue.getJobs(['completed'], 0, 0);
    return job?.returnvalue as ReconcileRunSummary | undefined;
  }

  private registerGauges(registry: Registry): void {
    const registers = [registry];
    // A scrape must not hang while Redis is away (BullMQ's connections wait for it): no value.
    const summary = async () => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), SCRAPE_TIMEOUT_MS);
      });
      try {
        return await Promise.race([this.lastRun().catch(() => undefined), timeout]);
      } finally {
        clearTimeout(timer);
      }
    };
    new Gauge({
      name: 'reconciliation_drift_lines',
      help: 'Lines where the ledger differs from the sales, by kind, at the latest reconciliation',
      labelNames: ['kind'],
      registers,
      async collect() {
        const run = await summary();
        for (const kind of DRIFT_KINDS) this.set({ kind }, run ? run.drift[kind] : NaN);
      },
    });
    new Gauge({
      name: 'reconciliation_in_flight_lines',
      help: 'Sales whose events were still on their way to the ledger at the latest reconciliation',
      registers,
      async collect() {
        const run = await summary();
        this.set(run ? run.in_flight : NaN);
      },
    });
    new Gauge({
      name: 'reconciliation_last_run_timestamp_seconds',
      help: 'When the latest reconciliation finished (0: none yet)',
      registers,
      async collect() {
        const run = await summary();
        this.set(run ? Date.parse(run.finished_at) / 1000 : 0);
      },
    });
  }

  async schedule(): Promise<void> {
    await this.queue.setGlobalConcurrency(1);
    await this.queue.upsertJobScheduler(
      RECONCILE_SCHEDULER_ID,
      { every: this.options.intervalMs },
      {
        name: 'reconcile',
        opts: { removeOnComplete: { count: 20 }, removeOnFail: { count: 50 } },
      },
    );
  }

  /** Re-asserts the schedule on every reconnection to Redis and every check interval. */
  watch(): void {
    this.queueConnection.on('ready', this.onReconnect);
    this.watchTimer = setInterval(this.onReconnect, this.options.scheduleCheckIntervalMs);
    this.watchTimer.unref();
  }

  /** Puts the schedule back when it is missing; idempotent across processes (fixed id). */
  async ensureScheduled(): Promise<void> {
    try {
      const existing = await this.queue.getJobScheduler(RECONCILE_SCHEDULER_ID);
      if (existing?.every === this.options.intervalMs) return;
      await this.schedule();
      this.options.logger.warn('reconcile schedule was missing from Redis; restored');
    } catch (error) {
      this.options.logger.warn({ err: error }, 'could not check the reconcile schedule');
    }
  }

  startWorker(): Worker {
    const { logger, reconciler, graceSeconds } = this.options;
    const worker = new Worker(
      RECONCILE_QUEUE_NAME,
      async (): Promise<ReconcileRunSummary> => {
        const { ok, totals } = await reconciler.run({ graceSeconds });
        const drift = {
          missing_in_ledger: totals.missing_in_ledger,
          amount_mismatch: totals.amount_mismatch,
          ledger_without_sale: totals.ledger_without_sale,
        };
        const counts = { purchases: totals.purchases, in_flight: totals.inFlight, ...drift };
        if (ok) logger.info(counts, 'reconciliation: the ledger equals the sales');
        else logger.warn(counts, 'reconciliation found drift; `make reconcile` lists the lines');
        return { ok, finished_at: new Date().toISOString(), in_flight: totals.inFlight, drift };
      },
      {
        connection: this.connect(),
        concurrency: 1,
        lockDuration: LOCK_DURATION_MS,
        prefix: this.options.prefix,
      },
    );
    worker.on('failed', (job, error) =>
      logger.error({ job_id: job?.id, err: error }, 'reconciliation could not run'),
    );
    worker.on('error', (error) => logger.error({ err: error }, 'reconciliation worker error'));
    this.worker = worker;
    return worker;
  }

  /** Stops taking runs, lets the running one finish, closes the queue and connections. */
  async close(): Promise<void> {
    clearInterval(this.watchTimer);
    this.queueConnection.off('ready', this.onReconnect);
    await this.worker?.close();
    await this.queue.close();
    await Promise.all(this.connections.map((c) => c.quit().catch(() => c.disconnect())));
  }
}
