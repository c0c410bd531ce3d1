/**
 * Starts OpenTelemetry tracing for a service, configured by the standard OTEL_* variables.
 *
 * Must run before pg and ioredis are first required (their instrumentations patch them
 * as they load): each service's `src/telemetry.ts` calls it and is the first import of its
 * main.ts. Deliberately not exported from the package's index, which loads express.
 *
 * Our defaults differ from the SDK's in one way: with nothing set, tracing is OFF (the SDK
 * would export OTLP to localhost:4318 and log a failure every few seconds). It is on when
 * OTEL_TRACES_EXPORTER says so (`console`, `otlp`) or when an OTLP endpoint is given.
 * Metrics stay with Prometheus (/metrics) and logs with pino: the SDK's are off unless their
 * own OTEL_* variables ask for them.
 */
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { ContextManager } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { DEFAULT_INSTRUMENTATIONS, INSTRUMENTATIONS, TRACES_EXPORTERS } from './telemetry-env';
import { setTracingEnabled } from './tracing-switch';
import type { InstrumentationName } from './telemetry-env';

const EXPORTERS: readonly string[] = TRACES_EXPORTERS;

export interface Telemetry {
  /** Exports what is buffered and stops (the last shutdown step). */
  shutdown(): Promise<void>;
}

const OFF: Telemetry = { shutdown: async () => {} };

/** Which exporter the environment asks for, or an error message naming the bad value. */
export function tracesExporter(env: NodeJS.ProcessEnv): string {
  if (/^(true|1)$/i.test(env.OTEL_SDK_DISABLED ?? '')) return 'none';
  const named = env.OTEL_TRACES_EXPORTER?.trim();
  if (named) {
    if (!EXPORTERS.includes(named)) {
      throw new Error(
        `OTEL_TRACES_EXPORTER must be one of ${EXPORTERS.join(', ')} (got "${named}").`,
      );
    }
    return named;
  }
  return env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
    ? 'otlp'
    : 'none';
}

/**
 * The SDK's instrumentations: those OTEL_NODE_ENABLED_INSTRUMENTATIONS names (default: none,
 * DEFAULT_INSTRUMENTATIONS says why), less those
 * OTEL_NODE_DISABLED_INSTRUMENTATIONS names (the variables of OpenTelemetry's
 * auto-instrumentations-node). Built only when enabled: an instrumentation patches its module
 * as soon as it is constructed.
 */
export function instrumentations(env: NodeJS.ProcessEnv): Instrumentation[] {
  const names = (list: string | undefined) =>
    new Set((list ?? '').split(',').map((name) => name.trim()));
  const enabled = env.OTEL_NODE_ENABLED_INSTRUMENTATIONS?.trim()
    ? names(env.OTEL_NODE_ENABLED_INSTRUMENTATIONS)
    : new Set<string>(DEFAULT_INSTRUMENTATIONS);
  const disabled = names(env.OTEL_NODE_DISABLED_INSTRUMENTATIONS);
  const factories: Record<InstrumentationName, () => Instrumentation> = {
    // Pool checks, the relay's lease sweeps and the feed's LISTEN: traced only inside a sale.
    // Statements only: checking a pooled connection out is no round trip worth a span.
    pg: () => new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true }),
    ioredis: () => new IORedisInstrumentation({ requireParentSpan: true }),
  };
  return INSTRUMENTATIONS.filter((name) => enabled.has(name) && !disabled.has(name)).map((name) =>
    factories[name](),
  );
}

export function startTelemetry(serviceName: string, env = process.env): Telemetry {
  let exporter: string;
  try {
    exporter = tracesExporter(env);
  } catch (error) {
    // Same shape as configOrExit's message: the service name, then what to fix.
    process.stderr.write(`${serviceName}: ${(error as Error).message}\n`);
    process.exit(1);
  }
  if (exporter === 'none') return OFF;

  env.OTEL_TRACES_EXPORTER = exporter;
  env.OTEL_METRICS_EXPORTER ??= 'none';
  env.OTEL_LOGS_EXPORTER ??= 'none';
  const loaded = instrumentations(env);
  const sdk = new NodeSDK({
    // OTEL_SERVICE_NAME, when set, names the service instead.
    ...(env.OTEL_SERVICE_NAME ? {} : { serviceName }),
    instrumentations: loaded,
    // Our code passes spans explicitly (tracing.ts). The instrumentations find their parent
    // span in the active context, which the SDK's context manager (AsyncLocalStorage) keeps
    // across awaits: registered only for them, since on Node 20 it hooks every promise the
    // process makes. `null` registers none (sdk-node's setupContextManager; its type omits it).
    contextManager: (loaded.length > 0 ? undefined : null) as ContextManager | undefined,
  });
  sdk.start();
  setTracingEnabled(true);
  return { shutdown: () => sdk.shutdown() };
}
