import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * The compiled `startTelemetry` as each service's first import runs it: the OpenTelemetry SDK
 * (sdk-node and what it brings: about 10 MB of a service's memory) is loaded only when tracing is
 * on. In a process of its own, so that nothing else has loaded the SDK before.
 */
const TELEMETRY = path.resolve(__dirname, '../common/dist/telemetry.js');

const SCRIPT = `
const { startTelemetry } = require(${JSON.stringify(TELEMETRY)});
const telemetry = startTelemetry('loading-test');
const loaded = (name) => Object.keys(require.cache).some((file) => file.includes(name));
process.stdout.write(JSON.stringify({
  sdk: loaded('/@opentelemetry/sdk-node/'),
  pg: loaded('/@opentelemetry/instrumentation-pg/'),
}));
telemetry.shutdown();
`;

function modulesLoaded(env: Record<string, string>): { sdk: boolean; pg: boolean } {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('OTEL_')),
  );
  const out = execFileSync(process.execPath, ['-e', SCRIPT], {
    env: { ...clean, ...env },
    encoding: 'utf8',
  });
  return JSON.parse(out) as { sdk: boolean; pg: boolean };
}

describe('loading the OpenTelemetry SDK', () => {
  test('when tracing is off (nothing set), then neither the SDK nor an instrumentation is loaded', () => {
    expect(modulesLoaded({})).toEqual({ sdk: false, pg: false });
  });

  test('when OTEL_TRACES_EXPORTER=none though an endpoint is set, then the SDK is not loaded', () => {
    expect(
      modulesLoaded({
        OTEL_TRACES_EXPORTER: 'none',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
      }),
    ).toEqual({ sdk: false, pg: false });
  });

  test('when tracing is on, then the SDK is loaded', () => {
    expect(modulesLoaded({ OTEL_TRACES_EXPORTER: 'console' }).sdk).toBe(true);
  });
});
