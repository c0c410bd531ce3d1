import { createServiceRegistry } from '@marketplace/common';
import { Counter, Gauge } from 'prom-client';
import type { Histogram, Registry } from 'prom-client';

export interface Metrics {
  registry: Registry;
  httpRequestDuration: Histogram<'method' | 'route' | 'status'>;
  purchasesPlaced: Counter;
  purchasesCancelled: Counter;
  eventsPublished: Counter;
  publishFailures: Counter;
}

/** One registry per app instance, so tests can build several apps in one process. */
export function createMetrics(pendingEvents: () => Promise<number>): Metrics {
  const { registry, registers, httpRequestDuration } = createServiceRegistry();
  new Gauge({
    name: 'outbox_pending_events',
    help: 'Outbox events committed but not yet published to SNS',
    registers,
    async collect() {
      // A failing database must not fail the whole scrape: the gauge just goes missing.
      this.set(await pendingEvents().catch(() => NaN));
    },
  });
  return {
    registry,
    httpRequestDuration,
    purchasesPlaced: new Counter({
      name: 'purchases_placed_total',
      help: 'Purchases placed',
      registers,
    }),
    purchasesCancelled: new Counter({
      name: 'purchases_cancelled_total',
      help: 'Purchases cancelled',
      registers,
    }),
    eventsPublished: new Counter({
      name: 'outbox_events_published_total',
      help: 'Outbox events published to SNS',
      registers,
    }),
    publishFailures: new Counter({
      name: 'outbox_publish_failures_total',
      help: 'Attempts to publish an outbox event that failed and will be retried',
      registers,
    }),
  };
}
