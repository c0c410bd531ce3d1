import path from 'node:path';
import type { Env } from '../test-support/test-env';

/** The names the bench's stacks export spans under (the OTLP sink counts by them). */
export const SERVICE_NAMES = { shop: 'bench-ecommerce', gateway: 'bench-payment-gateway' } as const;
export type ServiceKey = keyof typeof SERVICE_NAMES;

/**
 * How a stack is started: tracing `off`; `context`: off, but one AsyncLocalStorage in use from
 * start-up as the SDK's context manager keeps one (bench/async-context-preload.js); `unsampled`:
 * the SDK running with `OTEL_TRACES_SAMPLER=always_off` (context propagated, log lines and
 * outbox rows carrying it, no span recorded or exported); `on` as shipped; `sql` with the
 * opt-in SQL spans.
 */
export const TRACING_MODES = ['off', 'context', 'unsampled', 'on', 'sql'] as const;
export type TracingMode = (typeof TRACING_MODES)[number];

/** Tracing as a person would set it: on with an OTLP endpoint, off with no OTEL_* at all. */
export function tracingEnv(mode: TracingMode, sinkUrl: string, service: ServiceKey): Env {
  const unset: Env = {
    OTEL_SDK_DISABLED: undefined,
    OTEL_TRACES_EXPORTER: undefined,
    OTEL_EXPORTER_OTLP_ENDPOINT: undefined,
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: undefined,
    OTEL_SERVICE_NAME: undefined,
    OTEL_NODE_ENABLED_INSTRUMENTATIONS: undefined,
    OTEL_NODE_DISABLED_INSTRUMENTATIONS: undefined,
    OTEL_TRACES_SAMPLER: undefined,
  };
  if (mode === 'off') return unset;
  if (mode === 'context') {
    return {
      ...unset,
      NODE_OPTIONS: [
        process.env.NODE_OPTIONS,
        `--require ${path.join(__dirname, 'async-context-preload.js')}`,
      ]
        .filter(Boolean)
        .join(' '),
    };
  }
  return {
    ...unset,
    OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl,
    OTEL_SERVICE_NAME: SERVICE_NAMES[service],
    ...(mode === 'sql' ? { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'pg,ioredis' } : {}),
    ...(mode === 'unsampled' ? { OTEL_TRACES_SAMPLER: 'always_off' } : {}),
  };
}
