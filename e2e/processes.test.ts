import request from 'supertest';
import { testBullPrefix } from '../test-support/bullmq';
import { eventually } from '../test-support/eventually';
import { stopService } from '../test-support/service-process';
import type { ServiceProcess } from '../test-support/service-process';
import {
  buildServicesAndLoadFixtures,
  buyAsJames,
  login,
  removeBullKeys,
  startCompiledServices,
} from './support/compiled-stack';

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
  await removeBullKeys(bullPrefix);
});

test('when both services run as processes, then the README purchase reaches the ledger and SIGTERM stops each with exit 0', async () => {
  ({ shop, gateway } = await startCompiledServices({ bullPrefix, pollIntervalMs: 500 }));

  // The README's walkthrough, against the processes.
  const purchase = await buyAsJames(shop.url, {
    productId: '66efcb62-7b50-41b9-a3ca-7a6382eba6e8',
    quantity: 2,
  });
  const seller = await login(shop.url, 'new_seller', 'seller1234');
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
