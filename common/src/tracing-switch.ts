/**
 * Whether an OpenTelemetry SDK is tracing this process. Without one the API's calls are
 * no-ops, yet not free: a span object per request, a context per use case, the log lines'
 * ids (~4 % of purchase throughput in `make bench`, measured with the log mixin of the time).
 * Code on the hot path asks this first.
 * Set by `startTelemetry` and by the tests' `recordSpans`; imports nothing, so telemetry.ts can
 * set it before anything loads pg.
 */
let enabled = false;

export function setTracingEnabled(on: boolean): void {
  enabled = on;
}

export function tracingEnabled(): boolean {
  return enabled;
}
