import { startGateway, startShop } from './support/stack';
import request from 'supertest';
import {
  admin,
  createProduct,
  createSeller,
  customer,
  validCard,
} from '../ecommerce/test/support/actors';
import type { Actor } from '../ecommerce/test/support/actors';
import type { TestApp } from '../ecommerce/test/support/test-app';
import type { TestGateway } from '../payment_gateway/test/support/test-app';
import { startJobs } from '../payment_gateway/src/services';
import { testBullPrefix } from '../test-support/bullmq';
import { eventually } from '../test-support/eventually';

const PURCHASES = 200;
const CONCURRENCY = 10;
const SELLERS = 4;

let shop: TestApp;
let gateways: TestGateway[];

beforeAll(async () => {
  shop = await startShop({ relayOptions: { sweepIntervalMs: 1000 } });
  // Two gateway instances on one BullMQ queue, at the production poll interval.
  const bullPrefix = testBullPrefix('e2e');
  gateways = await Promise.all(
    [0, 1].map(() => startGateway({ bullPrefix, env: { POLL_INTERVAL_MS: '1000' } })),
  );
  for (const gw of gateways) await startJobs(gw.services);
});

afterAll(async () => {
  await Promise.all([shop.close(), ...gateways.map((gw) => gw.close())]);
});

test('when 200 purchases over several sellers are drained by two workers, then each seller earns the exact sum within 5 s', async () => {
  const boss = await admin(shop);
  const sellers: string[] = [];
  const products: string[] = [];
  for (let s = 0; s < SELLERS; s++) {
    const sellerId = await createSeller(shop.app, boss);
    sellers.push(sellerId);
    for (const price of [150 + s, 2990 + 7 * s]) {
      products.push(await createProduct(shop.app, boss, { sellerId, price }));
    }
  }
  const buyers: Actor[] = [];
  for (let i = 0; i < CONCURRENCY; i++) buyers.push(await customer(shop.app));

  const expected = new Map<string, { total: number; purchases: number }>(
    sellers.map((id) => [id, { total: 0, purchases: 0 }]),
  );
  const buy = async (n: number) => {
    // 1 to 3 lines, spread over the catalogue, quantities 1 to 3.
    const lines = Array.from({ length: 1 + (n % 3) }, (_, k) => ({
      product_id: products[(n * 3 + k * 5) % products.length]!,
      quantity: 1 + ((n + k) % 3),
    }));
    const res = await request(shop.app)
      .post('/purchase')
      .set(buyers[n % CONCURRENCY]!.auth)
      .send({ products: lines, credit_card: validCard() })
      .expect(201);
    const owed = new Map<string, number>();
    for (const item of res.body.items as { seller_id: string; subtotal: number }[]) {
      owed.set(item.seller_id, (owed.get(item.seller_id) ?? 0) + item.subtotal);
    }
    for (const [sellerId, amount] of owed) {
      const entry = expected.get(sellerId)!;
      entry.total += amount;
      entry.purchases += 1;
    }
  };
  for (let start = 0; start < PURCHASES; start += CONCURRENCY) {
    await Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => buy(start + i)));
  }
  const lastPurchaseAt = Date.now();

  const revenue = async (sellerId: string) =>
    (await request(gateways[0]!.app).get(`/revenue/${sellerId}`).set(boss.auth).expect(200))
      .body as {
      total_received: number;
      purchases_count: number;
    };
  const settled = async () => {
    const all = await Promise.all(sellers.map(revenue));
    return all.every((r, i) => r.total_received === expected.get(sellers[i]!)!.total);
  };
  await eventually(settled, Boolean, { timeoutMs: 5000 });
  const elapsedMs = Date.now() - lastPurchaseAt;

  for (const sellerId of sellers) {
    const want = expected.get(sellerId)!;
    expect({ sellerId, ...(await revenue(sellerId)) }).toMatchObject({
      sellerId,
      total_received: want.total,
      purchases_count: want.purchases,
    });
  }
  expect(elapsedMs).toBeLessThan(5000);
  // Both instances share one schedule.
  expect(await gateways[0]!.services.scheduler.queue.getJobSchedulers()).toHaveLength(1);
});
