import { createSnsClient, createSqsClient, purchaseEventSchema } from '@marketplace/common';
import type { Message } from '@aws-sdk/client-sqs';
import { QueryTypes } from 'sequelize';
import request from 'supertest';
import { admin, createProduct, createSeller, customer, validCard } from './support/actors';
import type { Actor } from './support/actors';
import { eventually, sleep, waitFor } from '../../test-support/eventually';
import { OutageProxy } from '../../test-support/outage-proxy';
import { deleteQueue, receiveUntil, subscribeTestQueue } from '../../test-support/queue';
import { startTestApp } from './support/test-app';
import type { TestApp } from './support/test-app';

const aws = () => ({
  AWS_REGION: 'us-east-1',
  AWS_ENDPOINT_URL: process.env.TEST_ECOMMERCE_AWS_ENDPOINT_URL!,
});
const sns = createSnsClient(aws());
const sqs = createSqsClient(aws());
let queueUrl: string;

beforeAll(async () => {
  queueUrl = await subscribeTestQueue(sns, sqs);
});
afterAll(async () => {
  await deleteQueue(sqs, queueUrl);
  sns.destroy();
  sqs.destroy();
});

const bodies = (messages: Message[]) =>
  messages.map((m) => JSON.parse(m.Body!) as Record<string, unknown>);
const eventsFor = (messages: Message[], purchaseIds: string[]) =>
  bodies(messages).filter((b) => purchaseIds.includes(b.purchase_id as string));

async function setUp(t: TestApp) {
  const adminActor = await admin(t);
  const sellerA = await createSeller(t.app, adminActor);
  const sellerB = await createSeller(t.app, adminActor);
  const productA = await createProduct(t.app, adminActor, { sellerId: sellerA, price: 2990 });
  const productB = await createProduct(t.app, adminActor, { sellerId: sellerB, price: 150 });
  const buyer = await customer(t.app);
  return { sellerA, sellerB, productA, productB, buyer };
}

const buy = async (t: TestApp, buyer: Actor, products: unknown[]) =>
  (
    await request(t.app)
      .post('/purchase')
      .set(buyer.auth)
      .send({ products, credit_card: validCard() })
      .expect(201)
  ).body as { purchase_id: string; created_at: string };

describe('with SNS reachable', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ relay: true });
  });
  afterAll(() => t.close());

  test('when a purchase is placed, then its v1 order_placed event reaches a subscribed queue', async () => {
    const { sellerA, sellerB, productA, productB, buyer } = await setUp(t);
    const purchase = await buy(t, buyer, [
      { product_id: productA, quantity: 2 },
      { product_id: productB, quantity: 3 },
    ]);
    const messages = await receiveUntil(
      sqs,
      queueUrl,
      (m) => eventsFor(m, [purchase.purchase_id]).length >= 1,
    );
    const mine = messages.filter((m) => JSON.parse(m.Body!).purchase_id === purchase.purchase_id);
    expect(mine).toHaveLength(1);
    const event = purchaseEventSchema.parse(JSON.parse(mine[0]!.Body!));
    expect(event).toEqual({
      event_id: expect.any(String),
      event_type: 'order_placed',
      version: 1,
      occurred_at: purchase.created_at,
      purchase_id: purchase.purchase_id,
      purchase_date: purchase.created_at,
      currency: 'BRL',
      items: { [sellerA]: 5980, [sellerB]: 450 },
    });
    expect(mine[0]!.MessageAttributes?.event_type).toEqual({
      DataType: 'String',
      StringValue: 'order_placed',
    });
    // One event id in the request's log line and in the relay's: a request id leads to it.
    const lines = t.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    const placed = lines.find((l) => l.msg === 'purchase placed' && l.event_id === event.event_id);
    expect(placed).toMatchObject({
      purchase_id: purchase.purchase_id,
      req: { id: expect.any(String) },
    });
    await waitFor(
      "the relay's log line",
      () =>
        t.logs.some((line) => line.includes('"event published"') && line.includes(event.event_id)),
      { timeoutMs: 3000, intervalMs: 20 },
    );
  });

  test('when a purchase is cancelled, then order_cancelled with the same amounts follows', async () => {
    const { sellerA, productA, buyer } = await setUp(t);
    const purchase = await buy(t, buyer, [{ product_id: productA }]);
    await request(t.app)
      .post(`/purchase/${purchase.purchase_id}/cancel`)
      .set(buyer.auth)
      .expect(200);
    const messages = await receiveUntil(
      sqs,
      queueUrl,
      (m) => eventsFor(m, [purchase.purchase_id]).length >= 2,
    );
    const events = eventsFor(messages, [purchase.purchase_id]);
    expect(events.map((e) => e.event_type).sort()).toEqual(['order_cancelled', 'order_placed']);
    for (const e of events) expect(e.items).toEqual({ [sellerA]: 2990 });
  });
});

describe('with SNS down', () => {
  let proxy: OutageProxy;
  let t: TestApp;
  beforeAll(async () => {
    proxy = new OutageProxy(new URL(process.env.TEST_ECOMMERCE_AWS_ENDPOINT_URL!));
    await proxy.up();
    t = await startTestApp({ awsEndpoint: proxy.url, relay: true });
  });
  afterAll(async () => {
    await t.close();
    await proxy.down();
  });

  test('when purchases are made while SNS is unreachable, then all succeed and are published once it is back', async () => {
    const { productA, buyer } = await setUp(t);
    await proxy.down();
    const placed: string[] = [];
    for (let i = 0; i < 5; i++)
      placed.push((await buy(t, buyer, [{ product_id: productA }])).purchase_id);

    // They wait in the outbox, the relay's attempts fail, and readiness reports SNS failing.
    const metrics = await eventually(
      () => request(t.app).get('/metrics').expect(200),
      (res) => /outbox_publish_failures_total [1-9]/.test(res.text),
    );
    expect(metrics.text).toMatch(/outbox_publish_failures_total [1-9]/);
    const pending = await t.services.sequelize.query(
      'SELECT attempts FROM outbox_events WHERE purchase_id IN (:ids) AND published_at IS NULL',
      { replacements: { ids: placed }, type: 'SELECT' },
    );
    expect(pending).toHaveLength(5);
    expect(metrics.text).toMatch(/outbox_pending_events [1-9]/);
    const ready = await request(t.app).get('/ready').expect(503);
    expect(ready.body.checks).toEqual({ postgres: 'ok', sns: 'failing' });

    await proxy.up();
    const messages = await receiveUntil(
      sqs,
      queueUrl,
      (m) => eventsFor(m, placed).length >= 5,
      15_000,
    );
    expect(new Set(eventsFor(messages, placed).map((e) => e.purchase_id))).toEqual(new Set(placed));
    await request(t.app).get('/ready').expect(200);
  });
});

describe('outbox retention', () => {
  test('when published events are older than the retention, then pruning removes only them', async () => {
    const t = await startTestApp();
    try {
      const { productA, buyer } = await setUp(t);
      const ids = [];
      for (let i = 0; i < 3; i++)
        ids.push((await buy(t, buyer, [{ product_id: productA }])).purchase_id);
      const [old, recent, pending] = ids;
      const { sequelize } = t.services;
      await sequelize.query(
        `UPDATE outbox_events SET published_at = now() - interval '8 days' WHERE purchase_id = :old;
         UPDATE outbox_events SET published_at = now() - interval '6 days' WHERE purchase_id = :recent`,
        { replacements: { old, recent } },
      );
      expect(await t.services.relay.prune()).toBeGreaterThanOrEqual(1);
      const left = await sequelize.query<{ purchase_id: string }>(
        'SELECT purchase_id FROM outbox_events WHERE purchase_id IN (:ids) ORDER BY purchase_id',
        { replacements: { ids }, type: QueryTypes.SELECT },
      );
      expect(left.map((r) => r.purchase_id).sort()).toEqual([recent, pending].sort());
    } finally {
      await t.close();
    }
  });
});

/** `count` purchases of one product, one after the other: their ids. */
async function buyOneAtATime(t: TestApp, buyer: Actor, productId: string, count: number) {
  const placed: string[] = [];
  for (let i = 0; i < count; i++) {
    placed.push((await buy(t, buyer, [{ product_id: productId }])).purchase_id);
  }
  return placed;
}

describe('with a backlog', () => {
  test('when more events wait than one batch holds, then a pass publishes them as PublishBatch calls in flight together, each event once', async () => {
    const t = await startTestApp({ relayOptions: { batchesInFlight: 4 } });
    try {
      const { productA, buyer } = await setUp(t);
      const placed = await buyOneAtATime(t, buyer, productA, 60);
      let inFlight = 0;
      let mostInFlight = 0;
      t.sns.middlewareStack.add(
        (next) => async (args) => {
          mostInFlight = Math.max(mostInFlight, ++inFlight);
          try {
            return await next(args);
          } finally {
            inFlight--;
          }
        },
        { step: 'initialize' },
      );
      t.services.relay.start();
      const messages = await receiveUntil(
        sqs,
        queueUrl,
        (m) => eventsFor(m, placed).length >= 60,
        15_000,
      );
      const events = eventsFor(messages, placed);
      expect(new Set(events.map((e) => e.event_id)).size).toBe(60);
      expect(events).toHaveLength(60);
      expect(mostInFlight).toBe(4);
    } finally {
      await t.close();
    }
  });
});

describe('with several relays', () => {
  test('when two instances drain one outbox, then every event goes out, each once', async () => {
    const one = await startTestApp();
    const two = await startTestApp();
    try {
      const { productA, buyer } = await setUp(one);
      const placed = await buyOneAtATime(one, buyer, productA, 25);
      one.services.relay.start();
      two.services.relay.start();
      const messages = await receiveUntil(
        sqs,
        queueUrl,
        (m) => eventsFor(m, placed).length >= 25,
        15_000,
      );
      await sleep(500); // room for a duplicate to show
      const more = await receiveUntil(sqs, queueUrl, () => false, 1000);
      const events = eventsFor([...messages, ...more], placed);
      expect(events).toHaveLength(25);
      expect(new Set(events.map((e) => e.event_id)).size).toBe(25);
    } finally {
      await one.close();
      await two.close();
    }
  });
});
