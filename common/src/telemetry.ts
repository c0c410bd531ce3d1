/**
 * Starts OpenTelemetry tracing for a service, configured by the standard OTEL_* variables.
 *
 * Must run before pg and ioredis are first required (their instrumentations patch them
 * as they load): each service's `src/telemetry.ts` calls it and is the first import of its
 * main.ts. Deliberately not exported from the package's index, which loads express. The SDK
 * itself (telemetry-sdk.ts) is loaded only when tracing is on.
 *
 * Our defaults differ from the SDK's in one way: with nothing set, tracing is OFF (the SDK
 * would export OTLP to localhost:4318 and log a failure every few seconds). It is on when
 * OTEL_TRACES_EXPORTER says so (`console`, `otlp`) or when an OTLP endpoint is given.
 * Only traces: metrics stay with Prometheus (/metrics) and logs with pino.
 */
import { TRACES_EXPORTERS } from './telemetry-env';
import type { TracesExporter } from './telemetry-env';
import { setTracingEnabled } from './tracing-switch';
import type * as TelemetrySdk from './telemetry-sdk';

const EXPORTERS: readonly string[] = TRACES_EXPORTERS;
const isExporter = (name: string): name is TracesExporter => EXPORTERS.includes(name);

export interface Telemetry {
  /** Exports what is buffered and stops (the last shutdown step). */
  shutdown(): Promise<void>;
}

const OFF: Telemetry = { shutdown: async () => {} };

/** Which exporter the environment asks for, or an error message naming the bad value. */
export function tracesExporter(env: NodeJS.ProcessEnv): TracesExporter {
  if (/^(true|1)$/i.test(env.OTEL_SDK_DISABLED ?? '')) return 'none';
  const named = env.OTEL_TRACES_EXPORTER?.trim();
  if (named) {
    if (!isExporter(named)) {
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

export function startTelemetry(serviceName: string, env = process.env): Telemetry {
  let exporter: TracesExporter;
  try {
    exporter = tracesExporter(env);
  } catch (error) {
    // Same shape as configOrExit's message: the service name, then what to fix.
    process.stderr.write(`${serviceName}: ${(error as Error).message}\n`);
    process.exit(1);
  }
  if (exporter === 'none') return OFF;

  // Loaded here, not imported above: only a service that traces pays for the SDK's modules.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startSdk } = require('./telemetry-sdk') as typeof TelemetrySdk;
  const shutdown = startSdk(serviceName, exporter, env);
  setTracingEnabled(true);
  return { shutdown };
}
