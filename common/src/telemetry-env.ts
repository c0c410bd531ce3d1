import { z } from 'zod';

/**
 * The OTEL_* variables the services rely on, as the configuration validates them. The
 * OpenTelemetry SDK reads them itself (telemetry.ts); the services' configuration only checks
 * them, so a typo is named at start-up with every other bad setting instead of being logged
 * (or ignored) by the SDK. Kept apart from telemetry.ts, which loads the SDK.
 */

/** OTEL_TRACES_EXPORTER values the services accept: `none` (the default) or where spans go. */
export const TRACES_EXPORTERS = ['none', 'console', 'otlp'] as const;
export type TracesExporter = (typeof TRACES_EXPORTERS)[number];

/**
 * OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL values: OTLP over HTTP, protobuf (the default) or JSON.
 * gRPC is not bundled: its exporter brings @grpc/grpc-js, and every OTLP receiver we point at
 * (Jaeger, the OpenTelemetry Collector) also takes OTLP over HTTP on port 4318.
 */
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

/**
 * OTEL_PROPAGATORS values: the W3C headers, which the outbox stores and the messages carry
 * (default: both).
 */
export const PROPAGATORS = ['tracecontext', 'baggage'] as const;
export type PropagatorName = (typeof PROPAGATORS)[number];

/** A variable's comma-separated list of names (blank entries dropped). */
export function namesIn(list: string | undefined): string[] {
  return (list ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
}

/** OTEL_LOG_LEVEL values (any case): how much of its own trouble the SDK logs to the console. */
export const SDK_LOG_LEVELS = ['none', 'error', 'warn', 'info', 'debug', 'verbose', 'all'] as const;

/** OTEL_TRACES_SAMPLER values the SDK knows (its default: `parentbased_always_on`). */
export const TRACES_SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

/** The SDK instrumentations the services can load (telemetry.ts: which by default, and why). */
export const INSTRUMENTATIONS = ['pg', 'ioredis'] as const;
export type InstrumentationName = (typeof INSTRUMENTATIONS)[number];

/**
 * Loaded unless OTEL_NODE_ENABLED_INSTRUMENTATIONS names some: none. Both are opt-in
 * (`OTEL_NODE_ENABLED_INSTRUMENTATIONS=pg,ioredis`): `pg`'s SQL statement spans are most of a
 * sale's spans and of the bytes exported; Redis is touched by no sale's work (BullMQ's polling
 * is traced by neither); and either needs the SDK's context manager (telemetry.ts), whose
 * hook on every promise costs ~5 % of the sale path's CPU on Node 20 (README "Tracing").
 */
export const DEFAULT_INSTRUMENTATIONS: readonly InstrumentationName[] = [];

/** A comma-separated list of some of `names`. */
const listOf = (names: readonly string[]) =>
  z
    .string()
    .refine(
      (list) => namesIn(list).every((name) => names.includes(name)),
      `must be a comma-separated list of ${names.join(', ')}`,
    )
    .optional();

const oneOf = (values: readonly string[]) => `must be one of ${values.join(', ')}`;
const otlpProtocol = z
  .enum(OTLP_PROTOCOLS, {
    error: `${oneOf(OTLP_PROTOCOLS)} (gRPC is not bundled: OTLP receivers take HTTP on port 4318)`,
  })
  .optional();

/** The OTEL_* fields of both services' environment schemas (all optional). */
export function telemetryEnvFields() {
  return {
    OTEL_TRACES_EXPORTER: z.enum(TRACES_EXPORTERS, { error: oneOf(TRACES_EXPORTERS) }).optional(),
    OTEL_EXPORTER_OTLP_ENDPOINT: z
      .url({
        protocol: /^https?$/,
        error: 'must be an http(s) URL of an OTLP receiver, such as http://127.0.0.1:4318',
      })
      .optional(),
    OTEL_SERVICE_NAME: z
      .string()
      .trim()
      .min(1, 'must not be blank')
      .max(100, 'must be at most 100 characters')
      .optional(),
    OTEL_EXPORTER_OTLP_PROTOCOL: otlpProtocol,
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: otlpProtocol,
    OTEL_PROPAGATORS: listOf(PROPAGATORS),
    OTEL_LOG_LEVEL: z
      .string()
      .refine(
        (level) => (SDK_LOG_LEVELS as readonly string[]).includes(level.trim().toLowerCase()),
        oneOf(SDK_LOG_LEVELS),
      )
      .optional(),
    OTEL_NODE_ENABLED_INSTRUMENTATIONS: listOf(INSTRUMENTATIONS),
    OTEL_NODE_DISABLED_INSTRUMENTATIONS: listOf(INSTRUMENTATIONS),
    OTEL_TRACES_SAMPLER: z.enum(TRACES_SAMPLERS, { error: oneOf(TRACES_SAMPLERS) }).optional(),
    OTEL_TRACES_SAMPLER_ARG: z.coerce
      .number({ error: 'must be a number from 0 to 1' })
      .min(0, 'must be a number from 0 to 1')
      .max(1, 'must be a number from 0 to 1')
      .optional(),
  };
}
