import { ConfigError, devKeyPair, parseEnv, readPem } from '@marketplace/common';
import { z } from 'zod';

const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    HOST: z.string().default('127.0.0.1'),
    PORT: z.coerce.number().int().min(0).max(65535).default(8001),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .optional(),
    REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// URL')
      .default('redis://127.0.0.1:6379'),
    AWS_REGION: z.string().min(1).default('us-east-1'),
    AWS_ENDPOINT_URL: z.url().optional(),
    SQS_QUEUE_URL: z.url().optional(),
    JWT_PUBLIC_KEY: z.string().optional(),
    POLL_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(1000),
    /** BullMQ key prefix: deployments sharing one Redis need different ones. */
    BULLMQ_PREFIX: z
      .string()
      .regex(/^[\w-]{1,50}$/, 'letters, digits, _ and - only')
      .default('marketplace'),
    CURRENCY: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as BRL')
      .default('BRL'),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    /** `all` (default): API and drain worker in one process; or one of them, to scale apart. */
    RUN_MODE: z.enum(['all', 'api', 'worker']).default('all'),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV !== 'production') return;
    for (const key of ['DATABASE_URL', 'JWT_PUBLIC_KEY'] as const) {
      if (!env[key])
        ctx.addIssue({ code: 'custom', path: [key], message: 'is required in production' });
    }
  });

/** Every variable the service reads (docs and the compose file are checked against it). */
export const ENVIRONMENT_VARIABLES = Object.keys(envSchema.shape);

export interface Config {
  nodeEnv: 'development' | 'test' | 'production';
  host: string;
  port: number;
  databaseUrl: string;
  redisUrl: string;
  aws: { AWS_REGION: string; AWS_ENDPOINT_URL?: string | undefined };
  sqsQueueUrl?: string | undefined;
  jwtPublicKey: string;
  pollIntervalMs: number;
  bullPrefix: string;
  currency: string;
  logLevel: string;
  runMode: 'all' | 'api' | 'worker';
}

/** Reads and validates the environment once; throws ConfigError naming every bad variable. */
export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  const env = parseEnv(envSchema, source);
  let jwtPublicKey: string;
  try {
    jwtPublicKey = env.JWT_PUBLIC_KEY ? readPem(env.JWT_PUBLIC_KEY) : devKeyPair().publicKey;
  } catch {
    throw new ConfigError(['JWT_PUBLIC_KEY: is neither a PEM nor a readable file path']);
  }
  return Object.freeze({
    nodeEnv: env.NODE_ENV,
    host: env.HOST,
    port: env.PORT,
    databaseUrl: env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/payments',
    redisUrl: env.REDIS_URL,
    aws: { AWS_REGION: env.AWS_REGION, AWS_ENDPOINT_URL: env.AWS_ENDPOINT_URL },
    sqsQueueUrl: env.SQS_QUEUE_URL,
    jwtPublicKey,
    pollIntervalMs: env.POLL_INTERVAL_MS,
    bullPrefix: env.BULLMQ_PREFIX,
    currency: env.CURRENCY,
    logLevel: env.LOG_LEVEL,
    runMode: env.RUN_MODE,
  });
}
