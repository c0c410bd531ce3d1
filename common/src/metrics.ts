import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** A registry per app instance (tests build several in one process) with the HTTP histogram. */
export function createServiceRegistry() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const httpRequestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  return { registry, registers, httpRequestDuration };
}

/**
 * One read shared by the gauges of a scrape: several gauges showing parts of one answer (a
 * queue's attributes, a job's result) ask once, not once each. A scrape collects its gauges one
 * after another without yielding to the event loop once the answer is in, so the answer is kept
 * until the loop turns (setImmediate): a scrape of a later request reads afresh.
 */
export function sharedPerScrape<T>(read: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    if (!pending) {
      const current = read();
      pending = current;
      const forget = () => setImmediate(() => (pending = undefined));
      current.then(forget, forget);
    }
    return pending;
  };
}
