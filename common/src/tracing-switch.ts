/**
 * Whether an OpenTelemetry SDK is tracing this process. Without one the API's calls are
 * no-ops, yet not free: a span object per request, a context per use case, a lookup per log
 * line (~4 % of purchase throughput in `make bench`). Code on the hot path asks this first.
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
