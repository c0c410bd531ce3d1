import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  new Gauge({
    name: 'outbox_pending_events',
    help: 'Outbox events committed but not yet published to SNS',
    registers,
    async collect() {
      this.set(await pendingEvents());
    },
  });
  return {
    registry,
    httpRequestDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
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
