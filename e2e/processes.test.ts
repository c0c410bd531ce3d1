import { Redis } from 'ioredis';
import request from 'supertest';
import { loadConfig } from '../payment_gateway/src/config';
import { removeGatewayKeys, testEnv } from '../payment_gateway/test/support/test-app';
import { testBullPrefix } from '../test-support/bullmq';
import { eventually } from '../test-support/eventually';
import { startService, stopService } from '../test-support/service-process';
import type { ServiceProcess } from '../test-support/service-process';
import { unique } from '../test-support/unique';
import { buildServicesAndLoadFixtures } from './support/compiled-stack';

/**
 * The compiled services as `make run` starts them: configuration from the environment,
 * migrations at start, readiness, a purchase that reaches the ledger, and SIGTERM ending each
 * process cleanly (exit 0) after its in-flight work.
 */

let shop: ServiceProcess | undefined;
let gateway: ServiceProcess | undefined;
// Its own BullMQ keys: a stack started with `make run` may share this Redis.
const bullPrefix = testBullPrefix('process');

beforeAll(async () => {
  await buildServicesAndLoadFixtures();
});

afterAll(async () => {
  shop?.child.kill('SIGKILL');
  gateway?.child.kill('SIGKILL');
  // A process stopped by SIGTERM leaves its schedule for the next one; the test leaves nothing.
  const redis = new Redis(loadConfig(testEnv()).redisUrl);
  try {
    await removeGatewayKeys(redis, bullPrefix);
  } finally {
    await redis.quit();
  }
});

test('when both services run as processes, then the README purchase reaches the ledger and SIGTERM stops each with exit 0', async () => {
  const env = process.env;
  const shared = {
    // test: the one mode that accepts BCRYPT_ROUNDS under 10 (a quick fixture load and login).
    NODE_ENV: 'test',
    AWS_ENDPOINT_URL: env.TEST_E2E_AWS_ENDPOINT_URL,
    AWS_REGION: 'us-east-1',
  };
  shop = await startService('ecommerce/dist/main.js', {
    ...shared,
    DATABASE_URL: env.TEST_E2E_ECOMMERCE_DATABASE_URL,
    BCRYPT_ROUNDS: '4',
  });
  gateway = await startService('payment_gateway/dist/main.js', {
    ...shared,
    DATABASE_URL: env.TEST_E2E_PAYMENTS_DATABASE_URL,
    POLL_INTERVAL_MS: '500',
    BULLMQ_PREFIX: bullPrefix,
  });

  // The README's walkthrough, against the processes.
  const login = (username: string, password: string) =>
    request(shop!.url).post('/login').type('form').send({ username, password }).expect(200);
  const james = (await login('james', 'james1234')).body.token as string;
  const purchase = await request(shop.url)
    .post('/purchase')
    .set('Authorization', `Bearer ${james}`)
    .set('Idempotency-Key', unique('proc'))
    .send({
      products: [{ product_id: '66efcb62-7b50-41b9-a3ca-7a6382eba6e8', quantity: 2 }],
      credit_card: {
        card_number: '4111111111111111',
        cvv: '789',
        card_holder_name: 'James',
        exp_date: '12/49',
      },
    })
    .expect(201);
  const seller = (await login('new_seller', 'seller1234')).body.token as string;
  const revenue = async () =>
    (
      await request(gateway!.url)
        .get('/revenue/72443a08-f340-4cdd-99f5-aa1de7b0455f')
        .set('Authorization', `Bearer ${seller}`)
        .expect(200)
    ).body as { total_received: number };
  expect(await eventually(revenue, (r) => r.total_received > 0, { timeoutMs: 5000 })).toMatchObject(
    {
      total_received: purchase.body.total_price,
      purchases_count: 1,
    },
  );

  expect(await stopService(shop)).toBe(0);
  expect(await stopService(gateway)).toBe(0);
  expect(shop.output.join('')).toContain('"msg":"stopped"');
  expect(gateway.output.join('')).toContain('"msg":"stopped"');
});
