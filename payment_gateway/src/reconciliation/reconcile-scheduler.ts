import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { sharedPerScrape } from '@marketplace/common';
import type { Logger } from '@marketplace/common';
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { RecurringJob } from '../messaging/recurring-job';
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
  /** Whether the run read the queue's counts (else the grace period judged what is in flight). */
  queue_checked: boolean;
  /** Messages in the dead-letter queue: drift (null: the queue could not be read). */
  dead_lettered: number | null;
  /** Unbooked events beyond what the queue and DLQ held: drift. */
  not_in_queue: number;
}

/**
 * The reconciliation as a BullMQ job scheduler of its own (queue `reconcile`), every
 * RECONCILE_INTERVAL_MS, one run at a time across workers. A run logs its outcome (warn on
 * drift) and its summary stays with the job, so the gauges of any instance show the latest run,
 * whichever worker did it. Like the drain's, the schedule is put back if Redis loses it.
 */
export class ReconcileScheduler {
  private readonly job: RecurringJob<ReconcileRunSummary>;

  constructor(
    private readonly options: {
      /** The queue's fail-fast connection (the worker opens its own from `redisUrl`). */
      connection: Redis;
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
    this.job = new RecurringJob({
      queueName: RECONCILE_QUEUE_NAME,
      schedulerId: RECONCILE_SCHEDULER_ID,
      everyMs: options.intervalMs,
      connection: options.connection,
      redisUrl: options.redisUrl,
      prefix: options.prefix,
      scheduleCheckIntervalMs: options.scheduleCheckIntervalMs,
      keep: { completed: 20, failed: 50 },
      logger: options.logger,
    });
    this.registerGauges(options.registry);
  }

  get queue() {
    return this.job.queue;
  }

  /** The summary of the latest finished run, or undefined before the first one. */
  async lastRun(): Promise<ReconcileRunSummary | undefined> {
    const [job] = await this.queue.getJobs(['completed'], 0, 0);
    return job?.returnvalue as ReconcileRunSummary | undefined;
  }

  private registerGauges(registry: Registry): void {
    const registers = [registry];
    // A scrape must not hang on a Redis that stops answering (its socket still open): no value.
    // The gauges share one read of the latest run.
    const summary = sharedPerScrape(async () => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), SCRAPE_TIMEOUT_MS);
      });
      try {
        return await Promise.race([this.lastRun().catch(() => undefined), timeout]);
      } finally {
        clearTimeout(timer);
      }
    });
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
      name: 'reconciliation_dead_lettered_messages',
      help: 'Messages in the dead-letter queue at the latest reconciliation: sales not booked, drift (no value when it could not read the queue)',
      registers,
      async collect() {
        const run = await summary();
        this.set(run?.dead_lettered ?? NaN);
      },
    });
    new Gauge({
      name: 'reconciliation_not_in_queue_events',
      help: 'Events published and not booked beyond all the queue and dead-letter queue held at the latest reconciliation: lost, drift',
      registers,
      async collect() {
        const run = await summary();
        this.set(run?.not_in_queue ?? NaN);
      },
    });
    new Gauge({
      name: 'reconciliation_queue_checked',
      help: '1 when the latest reconciliation read the queue, 0 when it could not and judged what is in flight by the grace period alone',
      registers,
      async collect() {
        const run = await summary();
        this.set(run?.queue_checked === undefined ? NaN : Number(run.queue_checked));
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

  schedule(): Promise<void> {
    return this.job.schedule();
  }

  watch(): void {
    this.job.watch();
  }

  ensureScheduled(reason = 'check'): Promise<boolean> {
    return this.job.ensureScheduled(reason);
  }

  /** Starts this process's reconciliation worker; resolves once it is connected. */
  startWorker(): Promise<Worker> {
    const { logger, reconciler, graceSeconds } = this.options;
    return this.job.startWorker(
      async (): Promise<ReconcileRunSummary> => {
        const { ok, totals, queue } = await reconciler.run({ graceSeconds });
        if (!queue.checked) {
          logger.warn(
            { reason: queue.error, grace_seconds: queue.graceSeconds },
            'reconciliation could not read the queue; in flight judged by the grace period',
          );
        }
        const drift = {
          missing_in_ledger: totals.missing_in_ledger,
          amount_mismatch: totals.amount_mismatch,
          ledger_without_sale: totals.ledger_without_sale,
        };
        const queueFigures = {
          queue_checked: queue.checked,
          dead_lettered: totals.deadLettered,
          not_in_queue: totals.notInQueue,
        };
        const counts = {
          purchases: totals.purchases,
          in_flight: totals.inFlight,
          ...drift,
          queue_messages: queue.checked ? queue.messages : null,
          ...queueFigures,
        };
        if (ok) logger.info(counts, 'reconciliation: the ledger equals the sales');
        else logger.warn(counts, 'reconciliation found drift; `make reconcile` lists it');
        return {
          ok,
          finished_at: new Date().toISOString(),
          in_flight: totals.inFlight,
          drift,
          ...queueFigures,
        };
      },
      { lockDuration: LOCK_DURATION_MS },
      (worker) =>
        worker.on('failed', (job, error) =>
          logger.error({ job_id: job?.id, err: error }, 'reconciliation could not run'),
        ),
    );
  }

  /** Stops taking runs, lets the running one finish, closes the queue and connections. */
  close(): Promise<void> {
    return this.job.close();
  }
}
