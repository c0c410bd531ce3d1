import fc from 'fast-check';
import request from 'supertest';
import type { Test } from 'supertest';
import {
  expectNoServerError,
  headerValue,
  hostileQuery,
  mutatedBody,
  oddRawBody,
  pathSegment,
  RUNS,
} from '../../test-support/hostile-input';
import { admin, createProduct, createSeller, customer, unique, validCard } from './support/actors';
import type { Actor } from './support/actors';
import { startTestApp } from './support/test-app';
import type { TestApp } from './support/test-app';

let t: TestApp;
let adminActor: Actor;
let buyer: Actor;
let productId: string;
let sellerId: string;
beforeAll(async () => {
  t = await startTestApp();
  adminActor = await admin(t);
  buyer = await customer(t.app);
  sellerId = await createSeller(t.app, adminActor);
  productId = await createProduct(t.app, adminActor, { sellerId, stock: null });
});
afterAll(async () => {
  // Whatever came before, the app still answers.
  await request(t.app).get('/health').expect(200);
  await t.close();
});

const property = <T>(arbitrary: fc.Arbitrary<T>, send: (value: T) => Test) =>
  fc.assert(
    fc.asyncProperty(arbitrary, async (value) => {
      expectNoServerError(await send(value));
    }),
    { numRuns: RUNS },
  );

/** JSON bodies for each writing endpoint, starting from a valid one. */
const bodies: [string, string, () => Record<string, unknown>, () => Actor | undefined][] = [
  ['POST', '/login', () => ({ username: 'james', password: 'james1234' }), () => undefined],
  [
    'POST',
    '/user',
    () => ({
      username: unique('prop'),
      email: `${unique('prop')}@example.com`,
      password: 'longenough1',
    }),
    () => undefined,
  ],
  [
    'POST',
    '/seller',
    () => ({ name: 'Prop seller', owner_user_id: buyer.userId }),
    () => adminActor,
  ],
  [
    'POST',
    '/products',
    () => ({ title: 'Prop product', price: 100, seller_id: sellerId, stock: 5 }),
    () => adminActor,
  ],
  [
    'POST',
    '/purchase',
    () => ({ products: [{ product_id: productId, quantity: 1 }], credit_card: validCard() }),
    () => buyer,
  ],
];

describe.each(bodies)('%s %s', (method, path, valid, actor) => {
  const call = () => {
    const req = method === 'POST' ? request(t.app).post(path) : request(t.app).get(path);
    const who = actor();
    return who ? req.set(who.auth) : req;
  };

  test('when the JSON body is mutated (wrong types, extremes, unicode, extra fields), then 2xx or 4xx problem+json', async () => {
    await property(
      fc.constant(null).chain(() => mutatedBody(valid())),
      (body) => call().set('Content-Type', 'application/json').send(JSON.stringify(body)),
    );
  });

  test('when the body is raw bytes with an odd content type or encoding, then 2xx or 4xx problem+json', async () => {
    await property(oddRawBody, ({ contentType, contentEncoding, body }) => {
      const req = call().set('Content-Type', contentType);
      return (contentEncoding ? req.set('Content-Encoding', contentEncoding) : req).send(body);
    });
  });
});

describe('POST /purchase (nested fields and headers)', () => {
  test('when product lines and card fields are mutated, then 2xx or 4xx problem+json', async () => {
    const line = mutatedBody({ product_id: productId, quantity: 1 });
    const card = mutatedBody(validCard());
    await property(
      fc.record({ lines: fc.array(line, { maxLength: 3 }), card }),
      ({ lines, card: creditCard }) =>
        request(t.app)
          .post('/purchase')
          .set(buyer.auth)
          .send({ products: lines, credit_card: creditCard }),
    );
  });

  test('when the Idempotency-Key is odd, then 2xx or 4xx problem+json', async () => {
    await property(headerValue, (key) =>
      request(t.app)
        .post('/purchase')
        .set(buyer.auth)
        .set('Idempotency-Key', key)
        .send({ products: [{ product_id: productId }], credit_card: validCard() }),
    );
  });
});

describe('paths, queries and tokens', () => {
  test.each([
    ['GET', '/seller/'],
    ['GET', '/products/'],
    ['GET', '/purchase/'],
    ['POST', '/purchase/:id/cancel'],
  ])('when %s %s gets an odd id, then 2xx or 4xx problem+json', async (method, template) => {
    await property(pathSegment, (segment) => {
      const path = template.includes(':id') ? template.replace(':id', segment) : template + segment;
      const req = method === 'POST' ? request(t.app).post(path) : request(t.app).get(path);
      return req.set(buyer.auth);
    });
  });

  test.each([
    ['/seller', ['limit', 'offset']],
    ['/products', ['limit', 'offset', 'seller_id']],
    ['/purchase', ['limit', 'offset']],
    ['/purchase/history', ['limit', 'offset']],
  ])('when GET %s gets an odd query, then 2xx or 4xx problem+json', async (path, names) => {
    await property(hostileQuery(names), (query) =>
      request(t.app).get(`${path}?${query}`).set(buyer.auth),
    );
  });

  test('when the Authorization header is odd, then 401 problem+json', async () => {
    await property(headerValue, (value) =>
      request(t.app).post('/refresh-token').set('Authorization', value),
    );
  });

  test('when /login gets odd form fields, then 2xx or 4xx problem+json', async () => {
    await property(fc.string({ unit: 'binary', maxLength: 500 }), (text) =>
      request(t.app).post('/login').type('form').send(text),
    );
  });
});
