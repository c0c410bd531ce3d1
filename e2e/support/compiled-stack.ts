import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { createSequelize } from '@marketplace/common';
import { Redis } from 'ioredis';
import request from 'supertest';
import { loadFixtures } from '../../ecommerce/src/data/fixtures';
import { loadConfig } from '../../payment_gateway/src/config';
import { removeGatewayKeys, testEnv } from '../../payment_gateway/test/support/test-app';
import { startService } from '../../test-support/service-process';
import type { ServiceProcess } from '../../test-support/service-process';
import type { Env } from '../../test-support/test-env';
import { unique } from '../../test-support/unique';
import { README_CARD } from '../../test-support/readme-walkthrough';

const ROOT = path.resolve(__dirname, '../..');

/** Compiles the services (incremental, nearly free when `make test` has just built). */
export function buildServices(): void {
  execFileSync(
    path.join(ROOT, 'node_modules/.bin/tsc'),
    ['-b', 'common', 'ecommerce', 'payment_gateway'],
    { cwd: ROOT },
  );
}

/**
 * Before running the compiled services as processes: build them and load the README's demo
 * data into this suite's ecommerce database.
 */
export async function buildServicesAndLoadFixtures(): Promise<void> {
  buildServices();
  const sequelize = createSequelize(process.env.TEST_E2E_ECOMMERCE_DATABASE_URL!);
  try {
    await loadFixtures(sequelize, { bcryptRounds: 4 });
  } finally {
    await sequelize.close();
  }
}

const sharedEnv = (env: Env = {}): Env => ({
  // test: the one mode that accepts BCRYPT_ROUNDS under 10 (a quick fixture load and login).
  NODE_ENV: 'test',
  AWS_ENDPOINT_URL: process.env.TEST_E2E_AWS_ENDPOINT_URL,
  AWS_REGION: 'us-east-1',
  ...env,
});

/** The compiled ecommerce's settings: this suite's database and emulator, then `env`. */
export const compiledShopEnv = (env: Env = {}): Env =>
  sharedEnv({
    DATABASE_URL: process.env.TEST_E2E_ECOMMERCE_DATABASE_URL,
    BCRYPT_ROUNDS: '4',
    ...env,
  });

/** The compiled gateway's settings: this suite's database and emulator, then `env`. */
export const compiledGatewayEnv = (options: {
  bullPrefix: string;
  pollIntervalMs: number;
  env?: Env;
}): Env =>
  sharedEnv({
    DATABASE_URL: process.env.TEST_E2E_PAYMENTS_DATABASE_URL,
    POLL_INTERVAL_MS: String(options.pollIntervalMs),
    BULLMQ_PREFIX: options.bullPrefix,
    ...options.env,
  });

/** The compiled services on this suite's databases and emulator, started together. */
export async function startCompiledServices(options: {
  bullPrefix: string;
  pollIntervalMs: number;
  /** More settings for both (tracing, say). */
  env?: Record<string, string>;
}): Promise<{ shop: ServiceProcess; gateway: ServiceProcess }> {
  const [shop, gateway] = await Promise.all([
    startService('ecommerce/dist/main.js', compiledShopEnv(options.env)),
    startService('payment_gateway/dist/main.js', compiledGatewayEnv(options)),
  ]);
  return { shop, gateway };
}

/** Leaves nothing of a stopped gateway's BullMQ prefix in Redis. */
export async function removeBullKeys(bullPrefix: string): Promise<void> {
  const redis = new Redis(loadConfig(testEnv()).redisUrl);
  try {
    await removeGatewayKeys(redis, bullPrefix);
  } finally {
    await redis.quit();
  }
}

export const login = async (shopUrl: string, username: string, password: string) =>
  (await request(shopUrl).post('/login').type('form').send({ username, password }).expect(200)).body
    .token as string;

/** The README's purchase: james buys with the README's card (201 expected). */
export async function buyAsJames(
  shopUrl: string,
  options: { productId: string; quantity: number; headers?: Record<string, string> },
): Promise<request.Response> {
  return request(shopUrl)
    .post('/purchase')
    .set('Authorization', `Bearer ${await login(shopUrl, 'james', 'james1234')}`)
    .set('Idempotency-Key', unique('proc'))
    .set(options.headers ?? {})
    .send({
      products: [{ product_id: options.productId, quantity: options.quantity }],
      credit_card: README_CARD,
    })
    .expect(201);
}
