import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
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
 * request's span (which names the purchase), the relay's publish, the gateway's processing of
 * the message and the ledger insert share one trace id, each the child of the one before. (SQL
 * spans come from the pg instrumentation, which Jest cannot load: tracing-processes.test.ts.)
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

test('when a purchase is booked, then its request, the publish, the processing and the ledger insert form one trace', async () => {
  const purchaseId = await buy();
  const found = await traceOf(purchaseId);

  // The request's own span is the root and names the purchase: POST /purchase, route, status.
  const http = one(found, 'POST /purchase');
  const publish = one(found, 'publish purchases');
  const processing = one(found, 'process purchases');
  const insert = one(found, 'ledger insert');
  expect(found).toHaveLength(4);
  const traceId = http.spanContext().traceId;
  for (const span of [publish, processing, insert]) {
    expect(span.spanContext().traceId).toBe(traceId);
  }
  expect(http.kind).toBe(SpanKind.SERVER);
  expect(parentOf(http)).toBeUndefined();
  expect(http.attributes).toMatchObject({
    'http.route': '/purchase',
    'http.request.method': 'POST',
    'http.response.status_code': 201,
  });
  expect(http.attributes['purchase.replayed']).toBeUndefined();
  expect(parentOf(publish)).toBe(http.spanContext().spanId);
  expect(parentOf(processing)).toBe(publish.spanContext().spanId);
  expect(parentOf(insert)).toBe(processing.spanContext().spanId);
  expect(publish.kind).toBe(SpanKind.PRODUCER);
  expect(processing.kind).toBe(SpanKind.CONSUMER);
  expect(insert.attributes).toMatchObject({ 'ledger.entries': 1, 'ledger.entries_booked': 1 });
  expect(publish.instrumentationScope.name).toBe('ecommerce');
  expect(insert.instrumentationScope.name).toBe('payment_gateway');
});

test('when a purchase is replayed for its Idempotency-Key, then the replay request names the same purchase as a replay', async () => {
  const key = `trace-replay-${Date.now()}`;
  const send = () =>
    request(shop.app)
      .post('/purchase')
      .set(buyer.auth)
      .set('Idempotency-Key', key)
      .send({ products: [{ product_id: productId, quantity: 1 }], credit_card: validCard() })
      .expect(201);
  const purchaseId = (await send()).body.purchase_id as string;
  await traceOf(purchaseId);
  spans.exporter.reset();
  expect((await send()).body.purchase_id).toBe(purchaseId);

  const replay = spans.exporter.getFinishedSpans().filter((span) => span.name === 'POST /purchase');
  expect(replay).toHaveLength(1);
  expect(replay[0]!.attributes).toMatchObject({
    'purchase.id': purchaseId,
    'purchase.replayed': true,
  });
});

/** The log lines of a trace, in the order written. */
const linesOf = (logs: string[], traceId: string) =>
  jsonLines(logs.join('')).filter((line) => line.trace_id === traceId);

test('when a purchase is booked, then the log lines about it in both services carry its trace id', async () => {
  const purchaseId = await buy();
  const found = await traceOf(purchaseId);
  const { traceId, spanId } = one(found, 'POST /purchase').spanContext();

  const about = (logs: string[], msg: string) =>
    jsonLines(logs.join('')).filter((line) => line.purchase_id === purchaseId && line.msg === msg);
  const lines = [
    ...about(shop.logs, 'purchase placed'),
    ...about(shop.logs, 'event published'),
    ...about(gateway.logs, 'event booked'),
  ];
  expect(lines).toHaveLength(3);
  for (const line of lines) {
    expect(line.trace_id).toBe(traceId);
    expect(line.span_id).toMatch(/^[0-9a-f]{16}$/);
  }
  // The request's lines name the request's span; the others their own (publish, processing).
  expect(
    linesOf(shop.logs, traceId)
      .filter((line) => line.span_id === spanId)
      .map((line) => line.msg),
  ).toEqual(['purchase placed', 'request completed']);
  expect(about(gateway.logs, 'event booked')[0]!.span_id).toBe(
    one(found, 'process purchases').spanContext().spanId,
  );
});

test('when a purchase is placed, then its outbox event keeps the trace context of the request', async () => {
  const purchaseId = await buy();
  const http = one(await traceOf(purchaseId), 'POST /purchase');
  const [rows] = await shop.services.sequelize.query(
    'SELECT trace_context FROM outbox_events WHERE purchase_id = :purchaseId',
    { replacements: { purchaseId } },
  );
  const { traceId, spanId } = http.spanContext();
  expect(rows).toEqual([{ trace_context: { traceparent: `00-${traceId}-${spanId}-01` } }]);
});

test('when a purchase is cancelled, then the cancellation is booked in the trace of the cancel request', async () => {
  const purchaseId = await buy();
  await traceOf(purchaseId);
  spans.exporter.reset();
  await request(shop.app).post(`/purchase/${purchaseId}/cancel`).set(buyer.auth).expect(200);
  const found = await traceOf(purchaseId);

  const cancel = one(found, 'POST /purchase/:id/cancel');
  expect(cancel.kind).toBe(SpanKind.SERVER);
  const insert = one(found, 'ledger insert');
  expect(insert.spanContext().traceId).toBe(cancel.spanContext().traceId);
  expect(insert.attributes['ledger.entries_booked']).toBe(1);
});

test('when a purchase is refused (no stock), then its request span names the problem code and is not marked failed', async () => {
  spans.exporter.reset();
  await request(shop.app)
    .post('/purchase')
    .set(buyer.auth)
    .send({ products: [{ product_id: soldOut, quantity: 1 }], credit_card: validCard() })
    .expect(409);
  const [refused] = spans.exporter
    .getFinishedSpans()
    .filter((span) => span.name === 'POST /purchase');
  expect(refused!.attributes).toMatchObject({
    'error.type': 'insufficient_stock',
    'http.response.status_code': 409,
  });
  expect(refused!.status.code).toBe(SpanStatusCode.UNSET);
  expect(refused!.events).toEqual([]);
  // Its request line (a warning) names the span.
  const [line] = linesOf(shop.logs, refused!.spanContext().traceId);
  expect(line).toMatchObject({ msg: 'request completed', level: 40 });
  expect(line!.span_id).toBe(refused!.spanContext().spanId);
});

test('when a request fails unexpectedly, then its span records the error and is marked failed', async () => {
  spans.exporter.reset();
  // A table gone from under the app: an error no problem code names, so a 500.
  await shop.services.sequelize.query('ALTER TABLE sellers RENAME TO sellers_hidden');
  try {
    await request(shop.app).get('/seller').expect(500);
  } finally {
    await shop.services.sequelize.query('ALTER TABLE sellers_hidden RENAME TO sellers');
  }
  const [failed] = spans.exporter.getFinishedSpans().filter((span) => span.name === 'GET /seller');
  expect(failed!.status.code).toBe(SpanStatusCode.ERROR);
  expect(failed!.attributes['http.response.status_code']).toBe(500);
  expect(failed!.attributes['error.type']).toBeUndefined();
  expect(failed!.events.map((event) => event.name)).toEqual(['exception']);
  // Its request line carries the error, and the span.
  const [line] = linesOf(shop.logs, failed!.spanContext().traceId);
  expect(line).toMatchObject({ msg: 'unhandled error', level: 50 });
  expect(line!.span_id).toBe(failed!.spanContext().spanId);
});

test('when the client goes away before the response, then the request span still ends, without a status code', async () => {
  spans.exporter.reset();
  const server = shop.app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const { port } = server.address() as AddressInfo;
    // Half a body: the JSON parser is still waiting for the rest when the client leaves.
    const req = http.request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/purchase',
      headers: { 'content-type': 'application/json', 'content-length': '100' },
    });
    req.on('error', () => {});
    req.write('{"products": [');
    await new Promise((resolve) => setTimeout(resolve, 100));
    req.destroy();
    // No route matched yet: the span keeps the method as its name.
    const [gone] = await eventually(
      () =>
        Promise.resolve(
          spans.exporter
            .getFinishedSpans()
            .filter((span) => span.kind === SpanKind.SERVER && span.name === 'POST'),
        ),
      (found) => found.length > 0,
      { timeoutMs: 5_000 },
    );
    expect(gone!.attributes['http.request.method']).toBe('POST');
    expect(gone!.attributes['http.response.status_code']).toBeUndefined();
  } finally {
    server.close();
  }
});
