import {
  awsSettings,
  checkPublicKey,
  DEVELOPMENT_DATABASE_URLS,
  devKeyPair,
  noDevelopmentAwsInProduction,
  parseEnv,
  readPemSetting,
  requiredInProduction,
  serviceEnvFields,
} from '@marketplace/common';
import { z } from 'zod';

const envSchema = z
  .object({
    ...serviceEnvFields(8001),
    // Defaulted in loadConfig rather than here, so production can require it explicitly.
    REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// URL')
      .optional(),
    SQS_QUEUE_URL: z.url().optional(),
    JWT_PUBLIC_KEY: z.string().optional(),
    POLL_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(1000),
    /** Receive→book→delete loops each drain run keeps going at once (within one process). */
    DRAIN_CONCURRENCY: z.coerce.number().int().min(1).max(8).default(4),
    /** Drain runs at once across all worker processes (each process runs one at a time). */
    DRAIN_WORKERS_MAX: z.coerce.number().int().min(1).max(64).default(4),
    /** How often a worker checks that the drain schedule is still in Redis (and restores it). */
    SCHEDULE_CHECK_INTERVAL_MS: z.coerce.number().int().min(100).max(300_000).default(10_000),
    /** BullMQ key prefix: deployments sharing one Redis need different ones. */
    BULLMQ_PREFIX: z
      .string()
      .regex(/^[\w-]{1,50}$/, 'letters, digits, _ and - only')
      .default('marketplace'),
    /** `all` (default): API and drain worker in one process; or one of them, to scale apart. */
    RUN_MODE: z.enum(['all', 'api', 'worker']).default('all'),
    /** ecommerce's database, read (read-only) by the reconciliation and nothing else. */
    ECOMMERCE_DATABASE_URL: serviceEnvFields(8001).DATABASE_URL,
    /**
     * Where browsers reach ecommerce: the dashboard's login posts there, so ecommerce's
     * CORS_ORIGINS must name this service's origin. Default outside production: local ecommerce.
     */
    ECOMMERCE_PUBLIC_URL: z.url().optional(),
    /** Reconcile the ledger with the sales this often (worker mode); unset: never. */
    RECONCILE_INTERVAL_MS: z.coerce.number().int().min(1000).max(86_400_000).optional(),
  })
  .superRefine(requiredInProduction(['DATABASE_URL', 'JWT_PUBLIC_KEY', 'REDIS_URL', 'AWS_REGION']))
  .superRefine(noDevelopmentAwsInProduction)
  .superRefine((env, ctx) => {
    if (env.RECONCILE_INTERVAL_MS !== undefined && !env.ECOMMERCE_DATABASE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['ECOMMERCE_DATABASE_URL'],
        message: 'is required when RECONCILE_INTERVAL_MS is set',
      });
    }
  });

/** Every variable the service reads (docs and the compose file are checked against it). */
export const ENVIRONMENT_VARIABLES = Object.keys(envSchema.shape);

/** The environment validated, then shaped into the service's settings (a bad key: ConfigError). */
const configSchema = envSchema.transform((env) => ({
  nodeEnv: env.NODE_ENV,
  host: env.HOST,
  port: env.PORT,
  databaseUrl: env.DATABASE_URL ?? DEVELOPMENT_DATABASE_URLS.payments,
  redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  aws: awsSettings(env),
  sqsQueueUrl: env.SQS_QUEUE_URL,
  jwt: { publicKey: publicKey(env), issuer: env.JWT_ISSUER, audience: env.JWT_AUDIENCE },
  trustProxy: env.TRUST_PROXY,
  corsOrigins: env.CORS_ORIGINS,
  shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
  pollIntervalMs: env.POLL_INTERVAL_MS,
  drainConcurrency: env.DRAIN_CONCURRENCY,
  drainWorkersMax: env.DRAIN_WORKERS_MAX,
  scheduleCheckIntervalMs: env.SCHEDULE_CHECK_INTERVAL_MS,
  bullPrefix: env.BULLMQ_PREFIX,
  currency: env.CURRENCY,
  logLevel: env.LOG_LEVEL,
  runMode: env.RUN_MODE,
  /** Where the dashboard page logs sellers in (ecommerce, as browsers reach it); none: no login. */
  ecommercePublicUrl:
    env.ECOMMERCE_PUBLIC_URL ??
    (env.NODE_ENV === 'production' ? undefined : 'http://127.0.0.1:8000'),
  /** The scheduled reconciliation, when RECONCILE_INTERVAL_MS is set. */
  reconcile:
    env.RECONCILE_INTERVAL_MS && env.ECOMMERCE_DATABASE_URL
      ? { ecommerceDatabaseUrl: env.ECOMMERCE_DATABASE_URL, intervalMs: env.RECONCILE_INTERVAL_MS }
      : undefined,
}));

export type Config = Readonly<z.output<typeof configSchema>>;

/** The configured public key (checked to parse as RSA), else the development pair's. */
function publicKey(env: { JWT_PUBLIC_KEY?: string | undefined }): string {
  const key = env.JWT_PUBLIC_KEY
    ? readPemSetting('JWT_PUBLIC_KEY', env.JWT_PUBLIC_KEY)
    : devKeyPair().publicKey;
  checkPublicKey(key);
  return key;
}

/** Reads and validates the environment once; throws ConfigError naming every bad variable. */
export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  return parseEnv(configSchema, source);
}
