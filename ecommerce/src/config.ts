import { availableParallelism } from 'node:os';
import {
  awsSettings,
  checkKeyPair,
  DEVELOPMENT_DATABASE_URLS,
  devKeyPair,
  noDevelopmentAwsInProduction,
  parseEnv,
  publicKeyFromPrivate,
  readPemSetting,
  requiredInProduction,
  serviceEnvFields,
} from '@marketplace/common';
import { z } from 'zod';

export const MIN_BCRYPT_ROUNDS = 10;

const envSchema = z
  .object({
    ...serviceEnvFields(8000),
    SNS_TOPIC_ARN: z.string().startsWith('arn:', 'must be an ARN').optional(),
    JWT_PRIVATE_KEY: z.string().optional(),
    JWT_PUBLIC_KEY: z.string().optional(),
    JWT_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(3600),
    BCRYPT_ROUNDS: z.coerce.number().int().min(4).max(15).default(12),
    /** Password hashes computed at once; more wait (a bounded queue), then 503. */
    BCRYPT_CONCURRENCY: z.coerce.number().int().min(1).max(256).optional(),
    OUTBOX_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(7),
  })
  .superRefine(requiredInProduction(['DATABASE_URL', 'JWT_PRIVATE_KEY', 'AWS_REGION']))
  .superRefine(noDevelopmentAwsInProduction)
  .superRefine((env, ctx) => {
    // Cheap hashes are for tests only: anywhere else they make stolen hashes easy to crack.
    if (env.NODE_ENV !== 'test' && env.BCRYPT_ROUNDS < MIN_BCRYPT_ROUNDS) {
      ctx.addIssue({
        code: 'custom',
        path: ['BCRYPT_ROUNDS'],
        message: `must be at least ${MIN_BCRYPT_ROUNDS} unless NODE_ENV=test`,
      });
    }
  });

/** Every variable the service reads (docs and the compose file are checked against it). */
export const ENVIRONMENT_VARIABLES = Object.keys(envSchema.shape);

/** The JWT key pair: the configured one (checked to belong together), else the development pair. */
function keyPair(env: {
  JWT_PRIVATE_KEY?: string | undefined;
  JWT_PUBLIC_KEY?: string | undefined;
}) {
  if (!env.JWT_PRIVATE_KEY) return devKeyPair();
  const privateKey = readPemSetting('JWT_PRIVATE_KEY', env.JWT_PRIVATE_KEY);
  const publicKey = env.JWT_PUBLIC_KEY
    ? readPemSetting('JWT_PUBLIC_KEY', env.JWT_PUBLIC_KEY)
    : undefined;
  checkKeyPair(privateKey, publicKey);
  return { privateKey, publicKey: publicKey ?? publicKeyFromPrivate(privateKey) };
}

/** The environment validated, then shaped into the service's settings (a bad key: ConfigError). */
const configSchema = envSchema.transform((env) => ({
  nodeEnv: env.NODE_ENV,
  host: env.HOST,
  port: env.PORT,
  databaseUrl: env.DATABASE_URL ?? DEVELOPMENT_DATABASE_URLS.ecommerce,
  aws: awsSettings(env),
  snsTopicArn: env.SNS_TOPIC_ARN,
  jwt: {
    ...keyPair(env),
    ttlSeconds: env.JWT_TTL_SECONDS,
    issuer: env.JWT_ISSUER,
    audience: env.JWT_AUDIENCE,
  },
  bcryptRounds: env.BCRYPT_ROUNDS,
  // bcrypt runs on libuv's thread pool (4 threads unless UV_THREADPOOL_SIZE says otherwise):
  // two hashes per core keeps the cores busy without starving other thread-pool work.
  bcryptConcurrency: env.BCRYPT_CONCURRENCY ?? 2 * availableParallelism(),
  trustProxy: env.TRUST_PROXY,
  corsOrigins: env.CORS_ORIGINS,
  shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
  outboxRetentionDays: env.OUTBOX_RETENTION_DAYS,
  currency: env.CURRENCY,
  logLevel: env.LOG_LEVEL,
}));

export type Config = Readonly<z.output<typeof configSchema>>;

/** Reads and validates the environment once; throws ConfigError naming every bad variable. */
export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  return parseEnv(configSchema, source);
}
