import { loadConfig } from '../src/config';
import {
  configProblems,
  describeAwsClientCredentials,
  malformedPem,
  rsaPair,
} from '../../test-support/config-problems';

const publicKey = () => rsaPair().publicKey;

const production = (overrides: Record<string, string> = {}) => ({
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://gateway@db.internal:5432/payments',
  REDIS_URL: 'rediss://cache.internal:6380',
  AWS_REGION: 'sa-east-1',
  JWT_PUBLIC_KEY: publicKey(),
  ...overrides,
});

const problemsOf = (env: Record<string, string>) => configProblems(loadConfig, env);

describe('payment_gateway configuration', () => {
  test('when the public key is a malformed PEM, then a ConfigError names it', () => {
    const broken = malformedPem(publicKey());
    expect(problemsOf({ JWT_PUBLIC_KEY: broken })).toEqual([
      'JWT_PUBLIC_KEY: is not a valid PEM key',
    ]);
  });

  test('when production sets everything explicitly, then it starts', () => {
    expect(problemsOf(production())).toEqual([]);
  });

  test.each(['REDIS_URL', 'AWS_REGION'])(
    'when production leaves %s to its development default, then it is required',
    (name) => {
      const env: Record<string, string> = production();
      delete env[name];
      expect(problemsOf(env)).toEqual([`${name}: is required in production`]);
    },
  );

  test('when production points at the development emulator, then it is refused', () => {
    expect(problemsOf(production({ AWS_ENDPOINT_URL: 'http://sns-sqs:4566' }))).toEqual([
      'AWS_ENDPOINT_URL: is the development emulator; unset it for real AWS in production',
    ]);
  });

  test.each(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'])(
    "when production is given the emulator's placeholder as %s, then a ConfigError names it",
    (name) => {
      expect(problemsOf(production({ [name]: 'local' }))).toEqual([
        `${name}: is the emulator's placeholder; give real credentials (or a role) in production`,
      ]);
    },
  );

  test('when development sets nothing, then Redis and the region have their defaults', () => {
    expect(loadConfig({})).toMatchObject({
      redisUrl: 'redis://127.0.0.1:6379',
      aws: { AWS_REGION: 'us-east-1' },
      jwt: { issuer: 'marketplace-ecommerce', audience: 'marketplace' },
      trustProxy: false,
      corsOrigins: [],
    });
  });
});

describeAwsClientCredentials('SQS', loadConfig, production);

describe('OTEL_* (read by the OpenTelemetry SDK, validated with the rest)', () => {
  test('when the compose settings are given, then they are accepted', () => {
    expect(
      problemsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318', OTEL_SERVICE_NAME: 'x' }),
    ).toEqual([]);
  });

  test('when the exporter or the endpoint is bad, then a ConfigError names both', () => {
    expect(
      problemsOf({ OTEL_TRACES_EXPORTER: 'zipkin', OTEL_EXPORTER_OTLP_ENDPOINT: 'jaeger:4318' }),
    ).toEqual([
      'OTEL_TRACES_EXPORTER: must be one of none, console, otlp',
      'OTEL_EXPORTER_OTLP_ENDPOINT: must be an http(s) URL of an OTLP receiver, such as http://127.0.0.1:4318',
    ]);
  });
});
