import { ROOT_CONTEXT, context } from '@opentelemetry/api';
import { NOT_TRACED, traceLogFields } from '@marketplace/common';
import type { Logger } from '@marketplace/common';
import type { OutboxEvent, OutboxRepository } from '../data/outbox-repository';
import type { Metrics } from '../metrics';
import type { SnsPublisher } from './sns-publisher';
import { MAX_BATCH } from './sns-publisher';

export interface RelayOptions {
  sweepIntervalMs: number;
  /** Published events are kept this many days, then pruned (hourly). */
  retentionDays: number;
  pruneIntervalMs: number;
  leaseSeconds: number;
  /** PublishBatch calls (of up to 10 events) in flight at once: one lease takes this many batches. */
  batchesInFlight: number;
  baseBackoffMs: number;
  maxBackoffMs: number;
}

/** What configuration does not set (the retention comes from OUTBOX_RETENTION_DAYS). */
export type TunableRelayOptions = Omit<RelayOptions, 'retentionDays'>;

export const DEFAULT_RELAY_OPTIONS: TunableRelayOptions = {
  sweepIntervalMs: 1000,
  pruneIntervalMs: 3_600_000,
  leaseSeconds: 30,
  batchesInFlight: 10,
  baseBackoffMs: 500,
  maxBackoffMs: 30_000,
};

/**
 * Publishes committed outbox events to SNS. Nudged right after a purchase commits, and sweeps
 * every second for anything left behind (failures, other instances' crashes). One pass runs at
 * a time per instance; several instances share the work through leases. A pass leases up to
 * `batchesInFlight` x 10 events, publishes them as that many PublishBatch calls at once and
 * marks them published in one statement: one batch at a time left it waiting on SNS.
 */
export class OutboxRelay {
  private readonly options: RelayOptions;
  private timer: NodeJS.Timeout | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly publisher: SnsPublisher,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    options: Pick<RelayOptions, 'retentionDays'> & Partial<TunableRelayOptions>,
  ) {
    this.options = { ...DEFAULT_RELAY_OPTIONS, ...options };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.timer = setInterval(() => this.nudge(), this.options.sweepIntervalMs);
    this.pruneTimer = setInterval(() => void this.prune(), this.options.pruneIntervalMs);
    this.nudge();
  }

  /** Removes published events past their retention; failures only wait for the next round. */
  async prune(): Promise<number> {
    try {
      const pruned = await this.outbox.prunePublished(this.options.retentionDays);
      if (pruned > 0) this.logger.info({ pruned }, 'pruned published outbox events');
      return pruned;
    } catch (error) {
      this.logger.warn({ err: error }, 'outbox prune failed');
      return 0;
    }
  }

  /** Asks for a pass soon; a pass already running will go round once more. */
  nudge(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    // A pass is nobody's request: nudged from a sale's span, it would otherwise put its SQL
    // spans (when the SDK's instrumentations are on) for many sales' events into that one
    // sale's trace.
    this.running = context
      .with(ROOT_CONTEXT, () => this.drain())
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          this.nudge();
        }
      });
  }

  /** Stops sweeping and waits for the pass in flight to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearInterval(this.pruneTimer);
    await this.running;
  }

  private async drain(): Promise<void> {
    try {
      // Full batches mean there may be more behind them.
      const full = MAX_BATCH * this.options.batchesInFlight;
      while (!this.stopped && (await this.publishLease(full)) === full);
    } catch (error) {
      this.logger.error({ err: error }, 'outbox relay pass failed');
    }
  }

  /** Publishes one lease of up to `limit` events; returns how many went out if none failed. */
  private async publishLease(limit: number): Promise<number> {
    const events = await this.outbox.lease(limit, this.options.leaseSeconds);
    if (events.length === 0) return 0;
    const batches: OutboxEvent[][] = [];
    for (let i = 0; i < events.length; i += MAX_BATCH) batches.push(events.slice(i, i + MAX_BATCH));
    const results = await Promise.all(batches.map((batch) => this.publisher.publish(batch)));
    const published = results.flatMap((result) => result.published);
    const failed = results.flatMap((result) => result.failed);
    const byId = new Map(events.map((event) => [event.id, event]));
    const spans = new Map(results.flatMap((result) => [...(result.spans ?? [])]));
    // Each line names its event's publish span: it carries the sale's trace id.
    const traced = (id: string) => traceLogFields(spans.get(id) ?? NOT_TRACED);
    for (const id of published) {
      const payload = byId.get(id)?.payload;
      this.logger.info(
        {
          event_id: id,
          event_type: payload?.event_type,
          purchase_id: payload?.purchase_id,
          ...traced(id),
        },
        'event published',
      );
    }
    await this.outbox.markPublished(published);
    this.metrics.eventsPublished.inc(published.length);
    for (const failure of failed) {
      const attempts = byId.get(failure.id)?.attempts ?? 1;
      const delayMs = this.backoff(attempts);
      await this.outbox.markFailed(failure.id, failure.error, delayMs);
      this.metrics.publishFailures.inc();
      this.logger.warn(
        {
          event_id: failure.id,
          attempts,
          retry_in_ms: delayMs,
          error: failure.error,
          ...traced(failure.id),
        },
        'event not published; will retry',
      );
    }
    return failed.length > 0 ? 0 : events.length;
  }

  /** Exponential (0.5 s, 1 s, 2 s, ... capped), each wait jittered between half and all of its step. */
  private backoff(attempts: number): number {
    const ceiling = Math.min(
      this.options.maxBackoffMs,
      this.options.baseBackoffMs * 2 ** (attempts - 1),
    );
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }
}
