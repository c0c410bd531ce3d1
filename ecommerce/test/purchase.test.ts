import { randomUUID } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import request from 'supertest';
import { admin, createProduct, createSeller, customer, validCard } from './support/actors';
import type { Actor } from './support/actors';
import { startTestApp, testEnv } from './support/test-app';
import { createSequelize } from '@marketplace/common';
import type { PurchaseEvent } from '@marketplace/common';
import { PurchaseRepository } from '../src/data/purchase-repository';
import type { TestApp } from './support/test-app';
import { problem } from '../../test-support/problem';

let t: TestApp;
let adminActor: Actor;
beforeAll(async () => {
  t = await startTestApp();
  adminActor = await admin(t);
});
afterAll(() => t.close());

async function product(options: { price?: number; stock?: number | null } = {}) {
  const sellerId = await createSeller(t.app, adminActor);
  const productId = await createProduct(t.app, adminActor, { sellerId, ...options });
  return { sellerId, productId };
}

const stockOf = async (productId: string) =>
  (await request(t.app).get(`/products/${productId}`)).body.stock as number | null;

const buy = (actor: Actor, products: unknown[], card: object = validCard()) =>
  request(t.app).post('/purchase').set(actor.auth).send({ products, credit_card: card });

describe('POST /purchase', () => {
  test('when products from two sellers are bought, then 201 with priced items and stock taken', async () => {
    const a = await product({ price: 2990, stock: 5 });
    const b = await product({ price: 150 });
    const buyer = await customer(t.app);
    const res = await buy(buyer, [
      { product_id: a.productId, quantity: 2 },
      { product_id: b.productId },
    ]).expect(201);
    expect(res.headers.location).toBe(`/purchase/${res.body.purchase_id}`);
    expect(res.body).toEqual({
      purchase_id: expect.any(String),
      client: buyer.username,
      status: 'placed',
      total_price: 2 * 2990 + 150,
      currency: 'BRL',
      credit_card: '**** **** **** 1111',
      items: [
        {
          product_id: a.productId,
          seller_id: a.sellerId,
          title: expect.any(String),
          quantity: 2,
          unit_price: 2990,
          subtotal: 5980,
        },
        {
          product_id: b.productId,
          seller_id: b.sellerId,
          title: expect.any(String),
          quantity: 1,
          unit_price: 150,
          subtotal: 150,
        },
      ],
      created_at: expect.stringMatching(/Z$/),
    });
    expect(await stockOf(a.productId)).toBe(3);
    expect(await stockOf(b.productId)).toBeNull();
    const readBack = await request(t.app)
      .get(`/purchase/${res.body.purchase_id}`)
      .set(buyer.auth)
      .expect(200);
    expect(readBack.body).toEqual(res.body);
  });

  test('when the same product appears twice, then one line with the quantities added', async () => {
    const p = await product({ price: 100, stock: 10 });
    const buyer = await customer(t.app);
    const res = await buy(buyer, [
      { product_id: p.productId, quantity: 2 },
      { product_id: p.productId, quantity: 3 },
    ]).expect(201);
    expect(res.body.items).toHaveLength(1);
    expect(res.body.items[0]).toMatchObject({ quantity: 5, subtotal: 500 });
    expect(await stockOf(p.productId)).toBe(5);
  });

  test('when the CVV is a number and the card has spaces, then it is accepted', async () => {
    const p = await product();
    const buyer = await customer(t.app);
    const res = await buy(
      buyer,
      [{ product_id: p.productId }],
      validCard({ cvv: 789, card_number: '5555 5555 5555 4444' }),
    ).expect(201);
    expect(res.body.credit_card).toBe('**** **** **** 4444');
  });

  test.each([
    ['a number failing Luhn', { card_number: '4111111111111112' }, 'credit_card.card_number'],
    ['too few digits', { card_number: '41111111111' }, 'credit_card.card_number'],
    ['letters in the number', { card_number: '4111x11111111111' }, 'credit_card.card_number'],
    ['a 2-digit cvv', { cvv: '12' }, 'credit_card.cvv'],
    ['a 5-digit cvv', { cvv: 12345 }, 'credit_card.cvv'],
    ['an expired card', { exp_date: '01/20' }, 'credit_card.exp_date'],
    ['a malformed expiry', { exp_date: '13/30' }, 'credit_card.exp_date'],
    ['an empty holder', { card_holder_name: '  ' }, 'credit_card.card_holder_name'],
  ])('when the card has %s, then 400 naming the field', async (_name, override, path) => {
    const p = await product({ stock: 1 });
    const buyer = await customer(t.app);
    const res = await buy(buyer, [{ product_id: p.productId }], validCard(override))
      .expect(400)
      .expect(problem('invalid_card'));
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    expect(await stockOf(p.productId)).toBe(1);
  });

  test('when the card and an order line are both bad, then 400 validation_failed naming both', async () => {
    const buyer = await customer(t.app);
    const res = await request(t.app)
      .post('/purchase')
      .set(buyer.auth)
      .send({ products: [{ product_id: '42' }], credit_card: validCard({ cvv: '1' }) })
      .expect(400)
      .expect(problem('validation_failed'));
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'credit_card.cvv',
      'products.0.product_id',
    ]);
  });

  test.each([
    ['no products', { products: [] }],
    ['quantity 0', { products: [{ product_id: randomUUID(), quantity: 0 }] }],
    ['quantity 1001', { products: [{ product_id: randomUUID(), quantity: 1001 }] }],
    [
      'merged quantity over 1000',
      {
        products: [
          { product_id: 'aa44ac86-3705-4954-8a1d-aa4733623870', quantity: 600 },
          { product_id: 'aa44ac86-3705-4954-8a1d-aa4733623870', quantity: 600 },
        ],
      },
    ],
    ['101 lines', { products: Array.from({ length: 101 }, () => ({ product_id: randomUUID() })) }],
    ['a non-UUID product', { products: [{ product_id: '42' }] }],
    ['no credit card', { credit_card: undefined }],
  ])('when the body has %s, then 400', async (_name, override) => {
    const buyer = await customer(t.app);
    await request(t.app)
      .post('/purchase')
      .set(buyer.auth)
      .send({ products: [{ product_id: randomUUID() }], credit_card: validCard(), ...override })
      .expect(400)
      .expect(problem('validation_failed'));
  });

  test('when products are unknown, then 422 naming each unknown id and nothing is taken', async () => {
    const p = await product({ stock: 3 });
    const buyer = await customer(t.app);
    const ghostA = randomUUID();
    const ghostB = randomUUID();
    const res = await buy(buyer, [
      { product_id: p.productId },
      { product_id: ghostA },
      { product_id: ghostB },
    ])
      .expect(422)
      .expect(problem('unknown_products'));
    expect(res.body.detail).toContain(ghostA);
    expect(res.body.detail).toContain(ghostB);
    expect(res.body.detail).not.toContain(p.productId);
    expect(await stockOf(p.productId)).toBe(3);
  });

  test('when stock is short on one line, then 409 and no line takes stock', async () => {
    const plenty = await product({ stock: 10 });
    const scarce = await product({ stock: 1 });
    const buyer = await customer(t.app);
    await buy(buyer, [
      { product_id: plenty.productId, quantity: 2 },
      { product_id: scarce.productId, quantity: 2 },
    ])
      .expect(409)
      .expect(problem('insufficient_stock'));
    expect(await stockOf(plenty.productId)).toBe(10);
    expect(await stockOf(scarce.productId)).toBe(1);
  });

  test('when 30 buyers race for a product with stock 10, then exactly 10 sales and 20 conflicts', async () => {
    const p = await product({ stock: 10 });
    const buyers = await Promise.all(Array.from({ length: 30 }, () => customer(t.app)));
    const results = await Promise.all(buyers.map((b) => buy(b, [{ product_id: p.productId }])));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(10);
    expect(statuses.filter((s) => s === 409)).toHaveLength(20);
    const conflicts = results.filter((r) => r.status === 409).map((r) => r.body.code);
    expect(new Set(conflicts)).toEqual(new Set(['insufficient_stock']));
    expect(await stockOf(p.productId)).toBe(0);
  });

  test('when buyers of the same two limited products list them in opposite orders, then every sale goes through without a deadlock', async () => {
    const a = await product({ stock: 100 });
    const b = await product({ stock: 100 });
    const buyers = await Promise.all(Array.from({ length: 20 }, () => customer(t.app)));
    const results = await Promise.all(
      buyers.map((buyer, i) => {
        const lines = [{ product_id: a.productId }, { product_id: b.productId }];
        return buy(buyer, i % 2 === 0 ? lines : lines.reverse());
      }),
    );
    expect(results.map((r) => r.status)).toEqual(results.map(() => 201));
    expect([await stockOf(a.productId), await stockOf(b.productId)]).toEqual([80, 80]);
  });

  test('when stock ran out after the order was priced, then the write takes nothing and stores nothing', async () => {
    const plenty = await product({ stock: 10 });
    const scarce = await product({ stock: 1 });
    const buyer = await customer(t.app);
    const sequelize = createSequelize(testEnv().DATABASE_URL!);
    try {
      const items = [plenty, scarce].map((p) => ({
        productId: p.productId,
        sellerId: p.sellerId,
        title: 'priced when there was stock',
        quantity: 2,
        unitPrice: 100,
        subtotal: 200,
      }));
      const purchase = {
        id: randomUUID(),
        userId: buyer.userId,
        status: 'placed' as const,
        totalPrice: 400,
        currency: 'BRL',
        card: { brand: 'visa', last4: '1111', holderName: 'A', expMonth: 12, expYear: 2049 },
        idempotencyKey: null,
        requestHash: null,
        items,
        createdAt: new Date(),
      };
      const event = { event_id: randomUUID() } as PurchaseEvent;
      expect(await new PurchaseRepository(sequelize).place(purchase, event, null)).toBe(false);
      const [stored] = await sequelize.query<{ n: string }>(
        `SELECT (SELECT count(*) FROM purchases WHERE id = :id)
              + (SELECT count(*) FROM outbox_events WHERE purchase_id = :id) AS n`,
        { replacements: { id: purchase.id }, type: QueryTypes.SELECT },
      );
      expect(Number(stored!.n)).toBe(0);
    } finally {
      await sequelize.close();
    }
    expect([await stockOf(plenty.productId), await stockOf(scarce.productId)]).toEqual([10, 1]);
  });

  test('when the same Idempotency-Key is sent twice, then one purchase, answered twice with 201', async () => {
    const p = await product({ stock: 5 });
    const buyer = await customer(t.app);
    const key = randomUUID();
    const send = () =>
      request(t.app)
        .post('/purchase')
        .set(buyer.auth)
        .set('Idempotency-Key', key)
        .send({ products: [{ product_id: p.productId, quantity: 2 }], credit_card: validCard() });
    const [first, second] = await Promise.all([send(), send()]);
    const third = await send();
    expect([first.status, second.status, third.status]).toEqual([201, 201, 201]);
    expect(second.body.purchase_id).toBe(first.body.purchase_id);
    expect(third.body).toEqual(first.body);
    expect(await stockOf(p.productId)).toBe(3);
    const history = await request(t.app).get('/purchase').set(buyer.auth).expect(200);
    expect(history.body).toHaveLength(1);
  });

  test('when the same Idempotency-Key races for the last units, then both get the one purchase', async () => {
    const p = await product({ stock: 2 });
    const buyer = await customer(t.app);
    const key = randomUUID();
    const send = () =>
      buy(buyer, [{ product_id: p.productId, quantity: 2 }]).set('Idempotency-Key', key);
    const results = await Promise.all([send(), send(), send()]);
    expect(results.map((r) => r.status)).toEqual([201, 201, 201]);
    expect(new Set(results.map((r) => r.body.purchase_id)).size).toBe(1);
    expect(await stockOf(p.productId)).toBe(0);
  });

  test('when an Idempotency-Key is reused with another body, then 422', async () => {
    const p = await product();
    const buyer = await customer(t.app);
    const key = randomUUID();
    await buy(buyer, [{ product_id: p.productId }])
      .set('Idempotency-Key', key)
      .expect(201);
    await request(t.app)
      .post('/purchase')
      .set(buyer.auth)
      .set('Idempotency-Key', key)
      .send({ products: [{ product_id: p.productId, quantity: 2 }], credit_card: validCard() })
      .expect(422)
      .expect(problem('idempotency_key_reused'));
  });

  test('when another user sends the same Idempotency-Key, then it is a separate purchase', async () => {
    const p = await product();
    const key = randomUUID();
    const one = await buy(await customer(t.app), [{ product_id: p.productId }])
      .set('Idempotency-Key', key)
      .expect(201);
    const two = await buy(await customer(t.app), [{ product_id: p.productId }])
      .set('Idempotency-Key', key)
      .expect(201);
    expect(two.body.purchase_id).not.toBe(one.body.purchase_id);
  });

  test('when there is no token, then 401', async () => {
    await request(t.app)
      .post('/purchase')
      .send({ products: [], credit_card: validCard() })
      .expect(401)
      .expect(problem('token_required'));
  });

  test('when the body is over 100 kB, then 413', async () => {
    const buyer = await customer(t.app);
    await request(t.app)
      .post('/purchase')
      .set(buyer.auth)
      .send({ products: [], credit_card: validCard({ card_holder_name: 'x'.repeat(120_000) }) })
      .expect(413)
      .expect(problem('payload_too_large'));
  });

  test('when a purchase is made, then no table and no log line holds the card number or CVV', async () => {
    const p = await product();
    const buyer = await customer(t.app);
    const card = validCard({ card_number: '4000056655665556', cvv: '9173' });
    await buy(buyer, [{ product_id: p.productId }], card).expect(201);
    const { sequelize } = t.services;
    const tables = await sequelize.query<{ name: string }>(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'",
      { type: QueryTypes.SELECT },
    );
    for (const { name: table_name } of tables) {
      const hits = await sequelize.query(
        `SELECT 1 FROM "${table_name}" t WHERE CAST(row_to_json(t) AS text) LIKE :number OR EXISTS (
           SELECT 1 FROM json_each_text(row_to_json(t)) c WHERE c.value = :cvv)`,
        { type: QueryTypes.SELECT, replacements: { number: '%4000056655665556%', cvv: '9173' } },
      );
      expect({ table_name, hits: hits.length }).toEqual({ table_name, hits: 0 });
    }
    const logs = t.logs.join('');
    expect(logs).toContain('/purchase');
    expect(logs).not.toContain('4000056655665556');
    // The CVV could occur inside a random UUID, so look for it as a value of its own.
    const values = (node: unknown): unknown[] =>
      node !== null && typeof node === 'object' ? Object.values(node).flatMap(values) : [node];
    const logged = t.logs.flatMap((line) => values(JSON.parse(line)));
    expect(logged.filter((v) => String(v) === '9173')).toEqual([]);
  });
});

describe('GET /purchase and /purchase/history', () => {
  describe('when a buyer has three purchases and another buyer one', () => {
    let buyer: Actor;
    const ids: string[] = [];
    beforeAll(async () => {
      const p = await product();
      buyer = await customer(t.app);
      for (let i = 0; i < 3; i++)
        ids.push((await buy(buyer, [{ product_id: p.productId }]).expect(201)).body.purchase_id);
      const other = await customer(t.app);
      await buy(other, [{ product_id: p.productId }]).expect(201);
    });
    const idsOf = (body: { purchase_id: string }[]) => body.map((x) => x.purchase_id);

    test.each(['/purchase', '/purchase/history'])(
      "when %s is asked for a page, then the buyer's newest come first",
      async (path) => {
        const page = await request(t.app).get(`${path}?limit=2`).set(buyer.auth).expect(200);
        expect(idsOf(page.body)).toEqual([ids[2], ids[1]]);
      },
    );

    test.each(['/purchase', '/purchase/history'])(
      "when %s is asked for a page, then X-Total-Count counts only the buyer's purchases",
      async (path) => {
        const page = await request(t.app).get(`${path}?limit=2`).set(buyer.auth).expect(200);
        expect(page.headers['x-total-count']).toBe('3');
      },
    );

    test.each(['/purchase', '/purchase/history'])(
      'when %s is asked for a page, then each purchase carries its items',
      async (path) => {
        const page = await request(t.app).get(`${path}?limit=2`).set(buyer.auth).expect(200);
        expect(page.body[0].items).toHaveLength(1);
      },
    );

    test('when the next page is asked for, then it holds the oldest', async () => {
      const rest = await request(t.app)
        .get('/purchase?limit=2&offset=2')
        .set(buyer.auth)
        .expect(200);
      expect(idsOf(rest.body)).toEqual([ids[0]]);
    });
  });

  test('when the buyer has none, then an empty list', async () => {
    const buyer = await customer(t.app);
    const res = await request(t.app).get('/purchase/history').set(buyer.auth).expect(200);
    expect(res.body).toEqual([]);
  });

  test('when the history is asked for without a token, then 401', async () => {
    await request(t.app).get('/purchase/history').expect(401).expect(problem('token_required'));
  });
});

describe('GET /purchase/:id and POST /purchase/:id/cancel', () => {
  async function placed(options: { stock?: number; quantity?: number } = {}) {
    const p = await product(options.stock === undefined ? {} : { stock: options.stock });
    const buyer = await customer(t.app);
    const id = (
      await buy(buyer, [{ product_id: p.productId, quantity: options.quantity ?? 1 }]).expect(201)
    ).body.purchase_id as string;
    return { productId: p.productId, buyer, id };
  }

  test('when someone else asks for a purchase, then 403', async () => {
    const { id } = await placed();
    await request(t.app)
      .get(`/purchase/${id}`)
      .set((await customer(t.app)).auth)
      .expect(403)
      .expect(problem('forbidden'));
  });

  test('when an admin asks for a purchase, then 200', async () => {
    const { id } = await placed();
    await request(t.app).get(`/purchase/${id}`).set(adminActor.auth).expect(200);
  });

  test('when the purchase is unknown, then 404', async () => {
    const buyer = await customer(t.app);
    await request(t.app)
      .get(`/purchase/${randomUUID()}`)
      .set(buyer.auth)
      .expect(404)
      .expect(problem('purchase_not_found'));
  });

  test('when the purchase id is not a UUID, then 400', async () => {
    const buyer = await customer(t.app);
    await request(t.app)
      .get('/purchase/xyz')
      .set(buyer.auth)
      .expect(400)
      .expect(problem('validation_failed'));
  });

  test('when the buyer cancels, then the answer says cancelled', async () => {
    const { buyer, id } = await placed();
    const res = await request(t.app).post(`/purchase/${id}/cancel`).set(buyer.auth).expect(200);
    expect(res.body).toMatchObject({ purchase_id: id, status: 'cancelled' });
  });

  test('when the buyer cancels, then the purchase reads back as cancelled', async () => {
    const { buyer, id } = await placed();
    await request(t.app).post(`/purchase/${id}/cancel`).set(buyer.auth).expect(200);
    const read = await request(t.app).get(`/purchase/${id}`).set(buyer.auth).expect(200);
    expect(read.body.status).toBe('cancelled');
  });

  test('when the buyer cancels, then the stock comes back', async () => {
    const { productId, buyer, id } = await placed({ stock: 4, quantity: 3 });
    expect(await stockOf(productId)).toBe(1);
    await request(t.app).post(`/purchase/${id}/cancel`).set(buyer.auth).expect(200);
    expect(await stockOf(productId)).toBe(4);
  });

  test('when the buyer cancels a second time, then 409', async () => {
    const { buyer, id } = await placed();
    await request(t.app).post(`/purchase/${id}/cancel`).set(buyer.auth).expect(200);
    await request(t.app)
      .post(`/purchase/${id}/cancel`)
      .set(buyer.auth)
      .expect(409)
      .expect(problem('purchase_not_placed'));
  });

  test('when the buyer cancels a second time, then the stock is not returned twice', async () => {
    const { productId, buyer, id } = await placed({ stock: 4, quantity: 3 });
    await request(t.app).post(`/purchase/${id}/cancel`).set(buyer.auth).expect(200);
    await request(t.app).post(`/purchase/${id}/cancel`).set(buyer.auth).expect(409);
    expect(await stockOf(productId)).toBe(4);
  });

  test('when another customer cancels, then 403', async () => {
    const { id } = await placed();
    await request(t.app)
      .post(`/purchase/${id}/cancel`)
      .set((await customer(t.app)).auth)
      .expect(403)
      .expect(problem('forbidden'));
  });

  test('when an admin cancels, then 200', async () => {
    const { id } = await placed();
    await request(t.app).post(`/purchase/${id}/cancel`).set(adminActor.auth).expect(200);
  });

  test('when an unknown purchase is cancelled, then 404', async () => {
    await request(t.app)
      .post(`/purchase/${randomUUID()}/cancel`)
      .set(adminActor.auth)
      .expect(404)
      .expect(problem('purchase_not_found'));
  });
});
