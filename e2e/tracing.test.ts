import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
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
import { testBullPrefix } from '../test-support/bullmq';
import { eventually } from '../test-support/eventually';
import { jsonLines } from '../test-support/log-capture';
import { parentOf, recordSpans } from '../test-support/tracing';
import { startGateway, startShop } from './support/stack';

/**
 * One sale, one trace, with both services in this process and every span in memory: the
 * request's span, the purchase's, the relay's publish, the gateway's processing of the message
 * and the ledger insert share one trace id, each the child of the one before. (SQL spans come
 * from the pg instrumentation, which Jest cannot load: tracing-processes.test.ts.)
 */
let spans: ReturnType<typeof recordSpans>;
let shop: TestApp;
let gateway: TestGateway;
let buyer: Actor;
let productId: string;
let sellerId: string;
let soldOut: string;

beforeAll(async () => {
  spans = recordSpans();
  shop = await startShop({ relayOptions: { sweepIntervalMs: 200 } });
  gateway = await startGateway({ bullPrefix: testBullPrefix('trace') });
  const boss = await admin(shop);
  sellerId = await createSeller(shop.app, boss);
  productId = await createProduct(shop.app, boss, { sellerId, price: 1234 });
  soldOut = await createProduct(shop.app, boss, { sellerId, price: 99, stock: 0 });
  buyer = await customer(shop.app);
});

afterAll(async () => {
  await Promise.all([shop.close(), gateway.close()]);
  await spans.stop();
});

async function buy(): Promise<string> {
  const res = await request(shop.app)
    .post('/purchase')
    .set(buyer.auth)
    .send({ products: [{ product_id: productId, quantity: 1 }], credit_card: validCard() })
    .expect(201);
  return res.body.purchase_id as string;
}

/** The spans naming this purchase, once the ledger insert for it has ended. */
async function traceOf(purchaseId: string): Promise<ReadableSpan[]> {
  const named = () =>
    spans.exporter
      .getFinishedSpans()
      .filter((span) => span.attributes['purchase.id'] === purchaseId);
  await eventually(
    async () => {
      await gateway.services.drain.run();
      return named();
    },
    (found) => found.some((span) => span.name === 'ledger insert'),
    { timeoutMs: 10_000 },
  );
  return named();
}

const one = (found: ReadableSpan[], name: string): ReadableSpan => {
  const matching = found.filter((span) => span.name === name);
  expect(matching).toHaveLength(1);
  return matching[0]!;
};

test('when a purchase is booked, then its span, the publish, the processing and the ledger insert form one trace', async () => {
  const purchaseId = await buy();
  const found = await traceOf(purchaseId);

  const place = one(found, 'purchase place');
  const publish = one(found, 'publish purchases');
  const processing = one(found, 'process purchases');
  const insert = one(found, 'ledger insert');
  const traceId = place.spanContext().traceId;
  for (const span of [publish, processing, insert]) {
    expect(span.spanContext().traceId).toBe(traceId);
  }
  // The request's own span is the root: POST /purchase, its route and status.
  const http = spans.exporter
    .getFinishedSpans()
    .find((span) => span.spanContext().spanId === parentOf(place))!;
  expect(http.name).toBe('POST /purchase');
  expect(http.kind).toBe(SpanKind.SERVER);
  expect(http.spanContext().traceId).toBe(traceId);
  expect(parentOf(http)).toBeUndefined();
  expect(http.attributes).toMatchObject({
    'http.route': '/purchase',
    'http.response.status_code': 201,
  });
  expect(parentOf(publish)).toBe(place.spanContext().spanId);
  expect(parentOf(processing)).toBe(publish.spanContext().spanId);
  expect(parentOf(insert)).toBe(processing.spanContext().spanId);
  expect(publish.kind).toBe(SpanKind.PRODUCER);
  expect(processing.kind).toBe(SpanKind.CONSUMER);
  expect(insert.attributes).toMatchObject({ 'ledger.entries': 1, 'ledger.entries_booked': 1 });
  expect(place.instrumentationScope.name).toBe('ecommerce');
  expect(insert.instrumentationScope.name).toBe('payment_gateway');
});

test('when a purchase is booked, then the log lines about it in both services carry its trace id', async () => {
  const purchaseId = await buy();
  const traceId = one(await traceOf(purchaseId), 'purchase place').spanContext().traceId;

  const about = (logs: string[], msg: string) =>
    jsonLines(logs.join('')).filter((line) => line.purchase_id === purchaseId && line.msg === msg);
  const lines = [...about(shop.logs, 'event published'), ...about(gateway.logs, 'event booked')];
  expect(lines).toHaveLength(2);
  for (const line of lines) {
    expect(line.trace_id).toBe(traceId);
    expect(line.span_id).toMatch(/^[0-9a-f]{16}$/);
  }
});

test('when a purchase is placed, then its outbox event keeps the trace context of the request', async () => {
  const purchaseId = await buy();
  const place = one(await traceOf(purchaseId), 'purchase place');
  const [rows] = await shop.services.sequelize.query(
    'SELECT trace_context FROM outbox_events WHERE purchase_id = :purchaseId',
    { replacements: { purchaseId } },
  );
  const { traceId, spanId } = place.spanContext();
  expect(rows).toEqual([{ trace_context: { traceparent: `00-${traceId}-${spanId}-01` } }]);
});

test('when a purchase is cancelled, then the cancellation is booked in the trace of the cancel request', async () => {
  const purchaseId = await buy();
  await traceOf(purchaseId);
  spans.exporter.reset();
  await request(shop.app).post(`/purchase/${purchaseId}/cancel`).set(buyer.auth).expect(200);
  const found = await traceOf(purchaseId);

  const cancel = one(found, 'purchase cancel');
  const insert = one(found, 'ledger insert');
  expect(insert.spanContext().traceId).toBe(cancel.spanContext().traceId);
  expect(insert.attributes['ledger.entries_booked']).toBe(1);
});

test('when a purchase is refused (no stock), then its span names the problem code and is not marked failed', async () => {
  spans.exporter.reset();
  await request(shop.app)
    .post('/purchase')
    .set(buyer.auth)
    .send({ products: [{ product_id: soldOut, quantity: 1 }], credit_card: validCard() })
    .expect(409);
  const [place] = spans.exporter
    .getFinishedSpans()
    .filter((span) => span.name === 'purchase place');
  expect(place!.attributes['error.type']).toBe('insufficient_stock');
  expect(place!.status.code).toBe(SpanStatusCode.UNSET);
  expect(place!.events).toEqual([]);
});
