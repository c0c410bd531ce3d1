import { isIP } from 'node:net';
import { z } from 'zod';
import { EMULATOR_CREDENTIALS } from './aws';
import { telemetryEnvFields } from './telemetry-env';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Validates environment variables against a zod object schema and returns a frozen,
 * typed object. Every bad variable is named in one error, so a person fixes them all at once.
 */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined>,
): Readonly<z.infer<S>> {
  // Empty strings mean "unset", as in most .env files.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`),
    );
  }
  return Object.freeze(result.data);
}

/**
 * Each service's database in development (`make run`); production must name its own. The
 * payment gateway's reconciliation reads ecommerce's too.
 */
export const DEVELOPMENT_DATABASE_URLS = {
  ecommerce: 'postgres://postgres@127.0.0.1:5432/ecommerce',
  payments: 'postgres://postgres@127.0.0.1:5432/payments',
} as const;

/** Who signs tokens (ecommerce) and for whom (both services): checked on every token. */
export const DEFAULT_TOKEN_ISSUER = 'marketplace-ecommerce';
export const DEFAULT_TOKEN_AUDIENCE = 'marketplace';

/** Express's `trust proxy`: off, on (any hop), a hop count, or the proxies' addresses/ranges. */
export type TrustProxy = boolean | number | string[];

const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isAddressOrRange(entry: string): boolean {
  if (PROXY_RANGE_NAMES.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}

const trustProxySchema = z
  .string()
  .default('false')
  .transform((value, ctx): TrustProxy => {
    const text = value.trim().toLowerCase();
    if (text === 'false') return false;
    if (text === 'true') return true;
    if (/^\d{1,2}$/.test(text)) return Number(text);
    const entries = text.split(',').map((entry) => entry.trim());
    const bad = entries.filter((entry) => !isAddressOrRange(entry));
    if (bad.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `must be false, true, a hop count or a comma-separated list of IP addresses, CIDR ranges, loopback, linklocal or uniquelocal (not ${bad.join(', ')})`,
      });
      return z.NEVER;
    }
    return entries;
  });

const corsOriginsSchema = z
  .string()
  .optional()
  .transform((value, ctx): string[] => {
    if (value === undefined) return [];
    const origins = value.split(',').map((origin) => origin.trim());
    const bad = origins.filter((origin) => {
      try {
        const url = new URL(origin);
        return !['http:', 'https:'].includes(url.protocol) || url.origin !== origin;
      } catch {
        return true;
      }
    });
    if (bad.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `must be comma-separated origins such as https://shop.example.com (not ${bad.join(', ')})`,
      });
      return z.NEVER;
    }
    return origins;
  });

/** The variables both services read, with the same rules; each service adds its own. */
export function serviceEnvFields(defaultPort: number) {
  return {
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    HOST: z.string().default('127.0.0.1'),
    PORT: z.coerce.number().int().min(0).max(65535).default(defaultPort),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .optional(),
    // Defaulted in awsSettings() rather than here, so production can require it explicitly.
    AWS_REGION: z.string().min(1).optional(),
    AWS_ENDPOINT_URL: z.url().optional(),
    // Read by the AWS SDK itself; named here so that production can refuse the placeholders.
    AWS_ACCESS_KEY_ID: z.string().optional(),
    AWS_SECRET_ACCESS_KEY: z.string().optional(),
    CURRENCY: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as BRL')
      .default('BRL'),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    JWT_ISSUER: z.string().min(1).max(200).default(DEFAULT_TOKEN_ISSUER),
    JWT_AUDIENCE: z.string().min(1).max(200).default(DEFAULT_TOKEN_AUDIENCE),
    TRUST_PROXY: trustProxySchema,
    CORS_ORIGINS: corsOriginsSchema,
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(15_000),
    // Read by the OpenTelemetry SDK (telemetry.ts), validated here with the rest.
    ...telemetryEnvFields(),
  };
}

/** The endpoints development points at the emulator; production must not use them. */
const DEVELOPMENT_AWS_ENDPOINTS = new Set([
  'http://127.0.0.1:4566',
  'http://localhost:4566',
  'http://sns-sqs:4566',
]);

/**
 * Production refuses what development uses for AWS: the emulator's endpoints (real AWS: leave
 * it unset) and its placeholder credentials (AWS would refuse them at the first call, long
 * after a start that looked fine).
 */
export function noDevelopmentAwsInProduction(
  env: {
    NODE_ENV: string;
    AWS_ENDPOINT_URL?: string | undefined;
    AWS_ACCESS_KEY_ID?: string | undefined;
    AWS_SECRET_ACCESS_KEY?: string | undefined;
  },
  ctx: z.RefinementCtx,
): void {
  if (env.NODE_ENV !== 'production') return;
  const endpoint = env.AWS_ENDPOINT_URL?.replace(/\/+$/, '');
  if (endpoint && DEVELOPMENT_AWS_ENDPOINTS.has(endpoint)) {
    ctx.addIssue({
      code: 'custom',
      path: ['AWS_ENDPOINT_URL'],
      message: 'is the development emulator; unset it for real AWS in production',
    });
  }
  for (const [name, placeholder] of [
    ['AWS_ACCESS_KEY_ID', EMULATOR_CREDENTIALS.accessKeyId],
    ['AWS_SECRET_ACCESS_KEY', EMULATOR_CREDENTIALS.secretAccessKey],
  ] as const) {
    if (env[name] === placeholder) {
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: "is the emulator's placeholder; give real credentials (or a role) in production",
      });
    }
  }
}

/** The AWS client settings: the region defaults to us-east-1 outside production. */
export function awsSettings(env: {
  AWS_REGION?: string | undefined;
  AWS_ENDPOINT_URL?: string | undefined;
}): { AWS_REGION: string; AWS_ENDPOINT_URL?: string | undefined } {
  return { AWS_REGION: env.AWS_REGION ?? 'us-east-1', AWS_ENDPOINT_URL: env.AWS_ENDPOINT_URL };
}

/** Production never falls back to development defaults for secrets or data. */
export function requiredInProduction<K extends string>(keys: readonly K[]) {
  return (env: { NODE_ENV: string } & Partial<Record<K, unknown>>, ctx: z.RefinementCtx) => {
    if (env.NODE_ENV !== 'production') return;
    for (const key of keys) {
      if (!env[key])
        ctx.addIssue({ code: 'custom', path: [key], message: 'is required in production' });
    }
  };
}

/** For main.ts: the configuration, or a clear message naming each bad variable and exit 1. */
export function configOrExit<C>(service: string, load: () => C): C {
  try {
    return load();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${service}: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
