/**
 * The OpenTelemetry trace SDK as the services start it: loaded by telemetry.ts only when tracing
 * is on, and only the trace SDK. `@opentelemetry/sdk-node` would start the same tracer provider
 * but loads its metrics and logs SDKs, gRPC and Zipkin exporters and their dependencies along
 * (944 modules and 10 MB of heap, against 494 and 4.5 MB here), which a service whose metrics are
 * Prometheus's and whose logs are pino's never uses.
 *
 * The OTEL_* variables it reads are the SDK's own, validated with the rest of the configuration
 * (telemetry-env.ts): the exporter, OTEL_EXPORTER_OTLP_* (endpoint, headers, timeout,
 * compression: read by the exporter), OTEL_BSP_* (the batch processor), OTEL_TRACES_SAMPLER(_ARG)
 * and the span limits (the tracer provider), OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES
 * (the resource's environment detector), OTEL_PROPAGATORS, OTEL_NODE_*_INSTRUMENTATIONS,
 * OTEL_LOG_LEVEL.
 */
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import {
  detectResources,
  envDetector,
  hostDetector,
  osDetector,
  processDetector,
  resourceFromAttributes,
  serviceInstanceIdDetector,
} from '@opentelemetry/resources';
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
  diagLogLevelFromString,
} from '@opentelemetry/core';
import { DiagConsoleLogger, diag } from '@opentelemetry/api';
import type { TextMapPropagator } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type * as PgInstrumentationModule from '@opentelemetry/instrumentation-pg';
import type * as IORedisInstrumentationModule from '@opentelemetry/instrumentation-ioredis';
import { DEFAULT_INSTRUMENTATIONS, INSTRUMENTATIONS, PROPAGATORS, namesIn } from './telemetry-env';
import type {
  InstrumentationName,
  OtlpProtocol,
  PropagatorName,
  TracesExporter,
} from './telemetry-env';

/* eslint-disable @typescript-eslint/no-require-imports */
/**
 * The SDK's instrumentations: those OTEL_NODE_ENABLED_INSTRUMENTATIONS names (default: none,
 * DEFAULT_INSTRUMENTATIONS says why), less those
 * OTEL_NODE_DISABLED_INSTRUMENTATIONS names (the variables of OpenTelemetry's
 * auto-instrumentations-node). Loaded and built only when enabled: an instrumentation patches
 * its module as soon as it is constructed.
 */
export function instrumentations(env: NodeJS.ProcessEnv): Instrumentation[] {
  const named = namesIn(env.OTEL_NODE_ENABLED_INSTRUMENTATIONS);
  const enabled = new Set<string>(named.length > 0 ? named : DEFAULT_INSTRUMENTATIONS);
  const disabled = new Set(namesIn(env.OTEL_NODE_DISABLED_INSTRUMENTATIONS));
  const factories: Record<InstrumentationName, () => Instrumentation> = {
    // Pool checks, the relay's lease sweeps and the feed's LISTEN: traced only inside a sale.
    // Statements only: checking a pooled connection out is no round trip worth a span.
    pg: () => {
      const { PgInstrumentation } =
        require('@opentelemetry/instrumentation-pg') as typeof PgInstrumentationModule;
      return new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true });
    },
    ioredis: () => {
      const { IORedisInstrumentation } =
        require('@opentelemetry/instrumentation-ioredis') as typeof IORedisInstrumentationModule;
      return new IORedisInstrumentation({ requireParentSpan: true });
    },
  };
  return INSTRUMENTATIONS.filter((name) => enabled.has(name) && !disabled.has(name)).map((name) =>
    factories[name](),
  );
}
/* eslint-enable @typescript-eslint/no-require-imports */

/** The OTLP protocol the environment names (OTEL_EXPORTER_OTLP_TRACES_PROTOCOL first). */
export function otlpProtocol(env: NodeJS.ProcessEnv): OtlpProtocol {
  const named =
    env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL?.trim() || env.OTEL_EXPORTER_OTLP_PROTOCOL?.trim();
  return named === 'http/json' ? 'http/json' : 'http/protobuf';
}

/**
 * How long the batch processor collects spans before sending them, unless OTEL_BSP_SCHEDULE_DELAY
 * says (the SDK's default: 5 s). A sale's trace is in the viewer a fraction of a second after
 * it, and a span no longer outlives several young-generation collections waiting for its batch:
 * side by side in `make bench`, the gateway's CPU per purchase −3.9 % (6 of 6 cycles) at 100 ms,
 * both services −2 % at 200 ms. A batch still goes as soon as it holds 512 spans.
 */
export const BATCH_DELAY_MS = 200;

/**
 * Where spans go, as sdk-node sends them: the console span by span (a developer watching), OTLP
 * in batches (OTEL_BSP_*) so a sale pays no export of its own.
 */
function spanProcessor(
  exporterName: Exclude<TracesExporter, 'none'>,
  env: NodeJS.ProcessEnv,
): SpanProcessor {
  if (exporterName === 'console') {
    return new SimpleSpanProcessor(new ConsoleSpanExporter());
  }
  const exporter: SpanExporter =
    otlpProtocol(env) === 'http/json' ? new OtlpJsonExporter() : new OtlpProtobufExporter();
  return new BatchSpanProcessor(
    exporter,
    env.OTEL_BSP_SCHEDULE_DELAY?.trim() ? {} : { scheduledDelayMillis: BATCH_DELAY_MS },
  );
}

/** OTEL_PROPAGATORS' W3C propagators (default: trace context and baggage). */
export function propagator(env: NodeJS.ProcessEnv): TextMapPropagator {
  const named = namesIn(env.OTEL_PROPAGATORS);
  const factories: Record<PropagatorName, () => TextMapPropagator> = {
    tracecontext: () => new W3CTraceContextPropagator(),
    baggage: () => new W3CBaggagePropagator(),
  };
  return new CompositePropagator({
    propagators: PROPAGATORS.filter((name) => named.length === 0 || named.includes(name)).map(
      (name) => factories[name](),
    ),
  });
}

/**
 * Starts the SDK with the exporter telemetry.ts chose; returns its shutdown, which exports what
 * it still holds.
 */
export function startSdk(
  serviceName: string,
  exporterName: Exclude<TracesExporter, 'none'>,
  env: NodeJS.ProcessEnv,
): () => Promise<void> {
  // The SDK's own troubles (an export that failed, a bad setting), on the console when
  // OTEL_LOG_LEVEL asks, as sdk-node does; otherwise silent.
  if (env.OTEL_LOG_LEVEL?.trim()) {
    diag.setLogger(new DiagConsoleLogger(), {
      logLevel: diagLogLevelFromString(env.OTEL_LOG_LEVEL),
    });
  }
  const loaded = instrumentations(env);
  // What sdk-node detects; OTEL_SERVICE_NAME (the environment detector), when set, names the
  // service instead of `serviceName`.
  const detected = detectResources({
    detectors: [hostDetector, osDetector, processDetector, serviceInstanceIdDetector, envDetector],
  });
  const resource = env.OTEL_SERVICE_NAME
    ? detected
    : detected.merge(resourceFromAttributes({ 'service.name': serviceName }));
  const provider = new NodeTracerProvider({
    resource,
    spanProcessors: [spanProcessor(exporterName, env)],
  });
  provider.register({
    propagator: propagator(env),
    // Our code passes spans explicitly (tracing.ts). The instrumentations find their parent
    // span in the active context, which the context manager (AsyncLocalStorage) keeps across
    // awaits: registered only for them, since on Node 20 it hooks every promise the process
    // makes. `null` registers none.
    contextManager: loaded.length > 0 ? undefined : null,
  });
  // Enabled as they were built; they trace through this provider (what registerInstrumentations
  // would do here, without loading @opentelemetry/instrumentation when none is enabled).
  for (const instrumentation of loaded) instrumentation.setTracerProvider(provider);
  return () => provider.shutdown();
}
