import { tracesExporter } from '../../common/src/telemetry';
import { instrumentations, otlpProtocol, propagator } from '../../common/src/telemetry-sdk';

/**
 * Which exporter common/src/telemetry.ts starts the SDK with (a unit of common, tested here
 * with the other common code). Off unless asked for: nothing is exported to a default endpoint.
 */
describe('tracesExporter', () => {
  test.each<[string, string, Record<string, string>]>([
    ['nothing is set', 'none', {}],
    ['an OTLP endpoint is set', 'otlp', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' }],
    [
      'a traces-only OTLP endpoint is set',
      'otlp',
      { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://jaeger:4318/v1/traces' },
    ],
    ['the console exporter is named', 'console', { OTEL_TRACES_EXPORTER: 'console' }],
    [
      'none is named though an endpoint is set',
      'none',
      { OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' },
    ],
    [
      'the SDK is disabled though an exporter and an endpoint are set',
      'none',
      {
        OTEL_SDK_DISABLED: 'true',
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318',
      },
    ],
  ])('when %s, then %s', (_, expected, env) => {
    expect(tracesExporter(env)).toBe(expected);
  });

  test('when the exporter is unknown, then the error names the variable, the choices and the value', () => {
    expect(() => tracesExporter({ OTEL_TRACES_EXPORTER: 'jaeger' })).toThrow(
      'OTEL_TRACES_EXPORTER must be one of none, console, otlp (got "jaeger").',
    );
  });
});

describe('instrumentations', () => {
  const PG = '@opentelemetry/instrumentation-pg';
  const IOREDIS = '@opentelemetry/instrumentation-ioredis';
  test.each<[string | undefined, string | undefined, string[]]>([
    // Both are opt-in.
    [undefined, undefined, []],
    ['', '', []],
    ['ioredis', 'pg', [IOREDIS]],
    ['ioredis', 'ioredis', []],
    ['pg,ioredis', undefined, [PG, IOREDIS]],
    [' pg ', undefined, [PG]],
    ['pg, ioredis', 'ioredis', [PG]],
    [undefined, ' pg , ioredis ', []],
    ['pg,ioredis', ' pg , ioredis ', []],
  ])(
    'when OTEL_NODE_ENABLED_INSTRUMENTATIONS=%j and OTEL_NODE_DISABLED_INSTRUMENTATIONS=%j, then the SDK loads %j',
    (enabled, disabled, loaded) => {
      const built = instrumentations({
        OTEL_NODE_ENABLED_INSTRUMENTATIONS: enabled,
        OTEL_NODE_DISABLED_INSTRUMENTATIONS: disabled,
      });
      // Constructing one enables it: leave nothing patched behind.
      for (const instrumentation of built) instrumentation.disable();
      expect(built.map((instrumentation) => instrumentation.instrumentationName)).toEqual(loaded);
    },
  );
});

describe('otlpProtocol', () => {
  test.each<[string, string, Record<string, string>]>([
    ['nothing is set', 'http/protobuf', {}],
    ['JSON is named', 'http/json', { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }],
    [
      'the traces-only variable names another than the general one',
      'http/protobuf',
      {
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: ' http/protobuf ',
      },
    ],
    [
      'the traces-only variable is blank',
      'http/json',
      {
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: '',
      },
    ],
  ])('when %s, then spans are sent as %s', (_, expected, env) => {
    expect(otlpProtocol(env)).toBe(expected);
  });
});

describe('propagator', () => {
  test.each<[string | undefined, string[]]>([
    [undefined, ['traceparent', 'tracestate', 'baggage']],
    ['', ['traceparent', 'tracestate', 'baggage']],
    ['tracecontext', ['traceparent', 'tracestate']],
    [' baggage , tracecontext ', ['traceparent', 'tracestate', 'baggage']],
  ])('when OTEL_PROPAGATORS=%j, then the headers read and written are %j', (named, fields) => {
    expect(propagator({ OTEL_PROPAGATORS: named }).fields()).toEqual(fields);
  });
});
