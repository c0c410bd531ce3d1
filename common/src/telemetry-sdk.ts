/**
 * The OpenTelemetry SDK as the services start it: loaded by telemetry.ts only when tracing is
 * on. The SDK and its instrumentations are about 10 MB of a service's memory (sdk-node brings
 * its exporters, metrics and logs SDKs along), which a service that does not trace should not
 * pay.
 */
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { ContextManager } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { DEFAULT_INSTRUMENTATIONS, INSTRUMENTATIONS } from './telemetry-env';
import type { InstrumentationName } from './telemetry-env';

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

/**
 * Starts the SDK (the environment names the exporter); returns its shutdown, which exports what
 * it still holds.
 */
export function startSdk(serviceName: string, env: NodeJS.ProcessEnv): () => Promise<void> {
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
  return () => sdk.shutdown();
}
