import { generateKeyPairSync } from 'node:crypto';
import { loadConfig } from '../src/config';
import {
  configProblems,
  describeAwsClientCredentials,
  malformedPem,
  rsaPair,
} from '../../test-support/config-problems';

/** Everything production requires, so each test varies one thing. */
const production = (overrides: Record<string, string> = {}) => {
  const { privateKey } = rsaPair();
  return {
    NODE_ENV: 'production',
    DATABASE_URL: 'postgres://shop@db.internal:5432/ecommerce',
    AWS_REGION: 'sa-east-1',
    JWT_PRIVATE_KEY: privateKey,
    ...overrides,
  };
};

const problemsOf = (env: Record<string, string>) => configProblems(loadConfig, env);

describe('the key pair at start-up', () => {
  test('when the public key belongs to another pair, then a ConfigError says so', () => {
    const { privateKey } = rsaPair();
    const { publicKey } = rsaPair();
    expect(problemsOf({ JWT_PRIVATE_KEY: privateKey, JWT_PUBLIC_KEY: publicKey })).toEqual([
      'JWT_PUBLIC_KEY: does not match JWT_PRIVATE_KEY',
    ]);
  });

  test('when a PEM is malformed, then a ConfigError names the variable', () => {
    const broken = malformedPem(rsaPair().privateKey);
    expect(problemsOf({ JWT_PRIVATE_KEY: broken })).toEqual([
      'JWT_PRIVATE_KEY: is not a valid PEM key',
    ]);
    const { privateKey } = rsaPair();
    const brokenPublic = malformedPem(rsaPair().publicKey);
    expect(problemsOf({ JWT_PRIVATE_KEY: privateKey, JWT_PUBLIC_KEY: brokenPublic })).toEqual([
      'JWT_PUBLIC_KEY: is not a valid PEM key',
    ]);
  });

  test('when the key is not RSA, then a ConfigError (tokens are RS256)', () => {
    const ec = generateKeyPairSync('ec', {
      namedCurve: 'P-256',
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    expect(problemsOf({ JWT_PRIVATE_KEY: ec.privateKey })).toEqual([
      'JWT_PRIVATE_KEY: must be an RSA key (tokens are RS256)',
    ]);
  });

  test('when the pair matches, then the service starts with it', () => {
    const { privateKey, publicKey } = rsaPair();
    expect(
      loadConfig({ JWT_PRIVATE_KEY: privateKey, JWT_PUBLIC_KEY: publicKey }).jwt,
    ).toMatchObject({ privateKey, publicKey });
  });
});

describe('BCRYPT_ROUNDS', () => {
  test.each([
    ['development', '9', false],
    ['production', '8', false],
    ['development', '10', true],
    ['test', '4', true],
  ])('when NODE_ENV=%s and rounds are %s, then accepted: %s', (nodeEnv, rounds, accepted) => {
    const env =
      nodeEnv === 'production'
        ? production({ BCRYPT_ROUNDS: rounds })
        : { NODE_ENV: nodeEnv, BCRYPT_ROUNDS: rounds };
    const problems = problemsOf(env);
    expect(problems.some((p) => p.startsWith('BCRYPT_ROUNDS:'))).toBe(!accepted);
  });
});

describe('production refuses development defaults', () => {
  test('when everything required is set, then it starts', () => {
    expect(problemsOf(production())).toEqual([]);
  });

  test('when AWS_REGION is left to its default, then it is required', () => {
    const { AWS_REGION: _, ...rest } = production();
    expect(problemsOf(rest)).toEqual(['AWS_REGION: is required in production']);
  });

  test('when AWS_ENDPOINT_URL is the development emulator, then it is refused', () => {
    expect(problemsOf(production({ AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' }))).toEqual([
      'AWS_ENDPOINT_URL: is the development emulator; unset it for real AWS in production',
    ]);
  });

  test.each(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'])(
    "when %s is the emulator's placeholder, then a ConfigError names it",
    (name) => {
      expect(problemsOf(production({ [name]: 'local' }))).toEqual([
        `${name}: is the emulator's placeholder; give real credentials (or a role) in production`,
      ]);
    },
  );
});

describeAwsClientCredentials('SNS', loadConfig, production);

describe('TRUST_PROXY, CORS_ORIGINS and SHUTDOWN_TIMEOUT_MS', () => {
  test.each([
    [undefined, false],
    ['false', false],
    ['true', true],
    ['2', 2],
    [
      '10.0.0.0/8, loopback, 2001:db8::/32, 192.0.2.7',
      ['10.0.0.0/8', 'loopback', '2001:db8::/32', '192.0.2.7'],
    ],
  ])('when TRUST_PROXY=%s, then Express is given %j', (value, expected) => {
    expect(loadConfig(value === undefined ? {} : { TRUST_PROXY: value }).trustProxy).toEqual(
      expected,
    );
  });

  test.each(['banana', '10.0.0.0/33', '300.1.1.1', '1.2.3.4/8/8'])(
    'when TRUST_PROXY=%s, then a ConfigError names it',
    (value) => {
      expect(problemsOf({ TRUST_PROXY: value })).toEqual([
        expect.stringMatching(/^TRUST_PROXY: must be false, true, a hop count/),
      ]);
    },
  );

  test('when CORS_ORIGINS is unset, then no origin is allowed', () => {
    expect(loadConfig({}).corsOrigins).toEqual([]);
  });

  test('when CORS_ORIGINS lists origins, then they are kept', () => {
    expect(
      loadConfig({ CORS_ORIGINS: 'https://shop.example, http://localhost:3000' }).corsOrigins,
    ).toEqual(['https://shop.example', 'http://localhost:3000']);
  });

  test.each(['*', 'shop.example', 'https://shop.example/', 'ftp://shop.example'])(
    'when CORS_ORIGINS=%s, then a ConfigError names it',
    (value) => {
      expect(problemsOf({ CORS_ORIGINS: value })).toEqual([
        expect.stringMatching(/^CORS_ORIGINS: must be comma-separated origins/),
      ]);
    },
  );

  test('when SHUTDOWN_TIMEOUT_MS is unset, then it is 15 s', () => {
    expect(loadConfig({}).shutdownTimeoutMs).toBe(15_000);
  });

  test('when SHUTDOWN_TIMEOUT_MS is set, then it is used', () => {
    expect(loadConfig({ SHUTDOWN_TIMEOUT_MS: '5000' }).shutdownTimeoutMs).toBe(5000);
  });

  test('when SHUTDOWN_TIMEOUT_MS is below 1 s, then a ConfigError names it', () => {
    expect(problemsOf({ SHUTDOWN_TIMEOUT_MS: '10' })).toEqual([
      expect.stringMatching(/^SHUTDOWN_TIMEOUT_MS:/),
    ]);
  });
});

describe('OTEL_* (read by the OpenTelemetry SDK, validated with the rest)', () => {
  test('when tracing is configured, then the settings are accepted', () => {
    expect(
      problemsOf(
        production({
          OTEL_TRACES_EXPORTER: 'otlp',
          OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector.internal:4318',
          OTEL_SERVICE_NAME: 'ecommerce',
          OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
          OTEL_TRACES_SAMPLER_ARG: '0.1',
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
          OTEL_PROPAGATORS: 'tracecontext, baggage',
          OTEL_LOG_LEVEL: 'WARN',
          OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'pg, ioredis',
          OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'ioredis',
        }),
      ),
    ).toEqual([]);
  });

  test('when the exporter is unknown, then it is named with every other bad setting', () => {
    expect(problemsOf({ OTEL_TRACES_EXPORTER: 'jaeger', BCRYPT_ROUNDS: '3' })).toEqual([
      'OTEL_TRACES_EXPORTER: must be one of none, console, otlp',
      expect.stringMatching(/^BCRYPT_ROUNDS: /),
    ]);
  });

  test.each(['jaeger:4318', 'grpc://jaeger:4317', 'not a url'])(
    'when OTEL_EXPORTER_OTLP_ENDPOINT=%s, then a ConfigError asks for an http(s) URL',
    (endpoint) => {
      expect(problemsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint })).toEqual([
        'OTEL_EXPORTER_OTLP_ENDPOINT: must be an http(s) URL of an OTLP receiver, such as http://127.0.0.1:4318',
      ]);
    },
  );

  test.each(['OTEL_NODE_ENABLED_INSTRUMENTATIONS', 'OTEL_NODE_DISABLED_INSTRUMENTATIONS'])(
    'when %s names an unknown instrumentation, then a ConfigError lists the known ones',
    (variable) => {
      expect(problemsOf({ [variable]: 'pg,http' })).toEqual([
        `${variable}: must be a comma-separated list of pg, ioredis`,
      ]);
    },
  );

  test('when the OTLP protocol is gRPC, then a ConfigError names the HTTP ones', () => {
    expect(
      problemsOf({
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'json',
      }),
    ).toEqual(
      ['OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'].map(
        (variable) =>
          `${variable}: must be one of http/protobuf, http/json (gRPC is not bundled: OTLP receivers take HTTP on port 4318)`,
      ),
    );
  });

  test('when OTEL_LOG_LEVEL is not a level, then a ConfigError lists the levels', () => {
    expect(problemsOf({ OTEL_LOG_LEVEL: 'loud' })).toEqual([
      'OTEL_LOG_LEVEL: must be one of none, error, warn, info, debug, verbose, all',
    ]);
  });

  test('when OTEL_PROPAGATORS names other than the W3C ones, then a ConfigError lists them', () => {
    expect(problemsOf({ OTEL_PROPAGATORS: 'tracecontext,b3' })).toEqual([
      'OTEL_PROPAGATORS: must be a comma-separated list of tracecontext, baggage',
    ]);
  });

  test('when the sampler or its ratio is out of range, then a ConfigError names each', () => {
    expect(problemsOf({ OTEL_TRACES_SAMPLER: 'ratio', OTEL_TRACES_SAMPLER_ARG: '10' })).toEqual([
      expect.stringMatching(/^OTEL_TRACES_SAMPLER: must be one of always_on, always_off, /),
      'OTEL_TRACES_SAMPLER_ARG: must be a number from 0 to 1',
    ]);
  });
});
