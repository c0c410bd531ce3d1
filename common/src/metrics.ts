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
