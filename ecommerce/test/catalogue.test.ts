import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import {
  admin,
  createProduct,
  createSeller,
  customer,
  login,
  sellerWithUser,
  unique,
} from './support/actors';
import type { Actor } from './support/actors';
import { startTestApp } from './support/test-app';
import type { TestApp } from './support/test-app';
import { problem } from '../../test-support/problem';

let t: TestApp;
let adminActor: Actor;
beforeAll(async () => {
  t = await startTestApp();
  adminActor = await admin(t);
});
afterAll(() => t.close());

describe('sellers', () => {
  test('when an admin creates a seller, then it can be read back', async () => {
    const name = unique('Josias');
    const created = await request(t.app)
      .post('/seller')
      .set(adminActor.auth)
      .send({ name })
      .expect(201);
    const id = created.body.seller_id as string;
    const one = await request(t.app).get(`/seller/${id}`).expect(200);
    expect(one.body).toEqual({ seller_id: id, name, created_at: expect.stringMatching(/Z$/) });
  });

  test('when an admin creates a seller, then it is listed', async () => {
    const id = await createSeller(t.app, adminActor);
    // Sellers list oldest first, so this one is within the last 200 of the total counted after
    // it was created, however many sellers other tests have made.
    const count = await request(t.app).get('/seller?limit=1').expect(200);
    const total = Number(count.headers['x-total-count']);
    const tail = await request(t.app)
      .get(`/seller?limit=200&offset=${Math.max(0, total - 200)}`)
      .expect(200);
    expect(tail.body.map((s: { seller_id: string }) => s.seller_id)).toContain(id);
  });

  test('when the owner is named, then that user becomes the seller user (role and claim)', async () => {
    const owner = await customer(t.app);
    const sellerId = await createSeller(t.app, adminActor, owner.userId);
    const token = await login(t.app, owner.username, owner.password);
    expect(jwt.decode(token)).toMatchObject({ role: 'seller', seller_id: sellerId });
  });

  test('when the owner is unknown, then 422', async () => {
    await request(t.app)
      .post('/seller')
      .set(adminActor.auth)
      .send({ name: 'x', owner_user_id: randomUUID() })
      .expect(422)
      .expect(problem('unknown_user'));
  });

  test('when the owner is already a seller user, then 409', async () => {
    const owner = await customer(t.app);
    await createSeller(t.app, adminActor, owner.userId);
    await request(t.app)
      .post('/seller')
      .set(adminActor.auth)
      .send({ name: 'second', owner_user_id: owner.userId })
      .expect(409)
      .expect(problem('owner_not_eligible'));
  });

  test('when a customer creates a seller, then 403', async () => {
    const buyer = await customer(t.app);
    await request(t.app)
      .post('/seller')
      .set(buyer.auth)
      .send({ name: 'x' })
      .expect(403)
      .expect(problem('forbidden'));
  });

  test('when nobody is signed in and creates a seller, then 401', async () => {
    await request(t.app)
      .post('/seller')
      .send({ name: 'x' })
      .expect(401)
      .expect(problem('token_required'));
  });

  test.each([
    ['the name is blank', { name: '  ' }],
    ['an unknown field is sent', { name: 'a', x: 1 }],
  ])('when %s, then 400', async (_case, body) => {
    await request(t.app)
      .post('/seller')
      .set(adminActor.auth)
      .send(body)
      .expect(400)
      .expect(problem('validation_failed'));
  });

  test('when the seller is unknown, then 404', async () => {
    await request(t.app)
      .get(`/seller/${randomUUID()}`)
      .expect(404)
      .expect(problem('seller_not_found'));
  });

  test('when the seller id is not a UUID, then 400', async () => {
    await request(t.app).get('/seller/not-a-uuid').expect(400).expect(problem('validation_failed'));
  });
});

describe('products', () => {
  test('when an admin adds a product, then it reads back with its seller and currency', async () => {
    const sellerId = await createSeller(t.app, adminActor);
    const productId = await createProduct(t.app, adminActor, {
      sellerId,
      price: 2990,
      stock: 5,
      title: 'Creme de pentear',
    });
    const res = await request(t.app).get(`/products/${productId}`).expect(200);
    const seller = await request(t.app).get(`/seller/${sellerId}`);
    expect(res.body).toEqual({
      product_id: productId,
      title: 'Creme de pentear',
      price: 2990,
      currency: 'BRL',
      stock: 5,
      seller: { seller_id: sellerId, name: seller.body.name },
    });
  });

  test('when a seller user adds a product to its own seller, then 201', async () => {
    const seller = await sellerWithUser(t, adminActor);
    await request(t.app)
      .post('/products')
      .set(seller.auth)
      .send({ title: 'x', price: 10, seller_id: seller.sellerId })
      .expect(201);
  });

  test('when a product is added without stock, then its stock reads back as null', async () => {
    const sellerId = await createSeller(t.app, adminActor);
    const productId = await createProduct(t.app, adminActor, { sellerId });
    const res = await request(t.app).get(`/products/${productId}`).expect(200);
    expect(res.body.stock).toBeNull();
  });

  test('when a seller user adds a product to another seller, then 403', async () => {
    const seller = await sellerWithUser(t, adminActor);
    const otherSeller = await createSeller(t.app, adminActor);
    await request(t.app)
      .post('/products')
      .set(seller.auth)
      .send({ title: 'x', price: 10, seller_id: otherSeller })
      .expect(403)
      .expect(problem('forbidden'));
  });

  test('when a customer adds a product, then 403', async () => {
    const sellerId = await createSeller(t.app, adminActor);
    const buyer = await customer(t.app);
    await request(t.app)
      .post('/products')
      .set(buyer.auth)
      .send({ title: 'x', price: 10, seller_id: sellerId })
      .expect(403)
      .expect(problem('forbidden'));
  });

  test('when nobody is signed in and adds a product, then 401', async () => {
    const sellerId = await createSeller(t.app, adminActor);
    await request(t.app)
      .post('/products')
      .send({ title: 'x', price: 10, seller_id: sellerId })
      .expect(401)
      .expect(problem('token_required'));
  });

  test.each([
    ['the price is zero', { title: 'x', price: 0 }],
    ['the price is fractional', { title: 'x', price: 10.5 }],
    ['the price is a string', { title: 'x', price: '10' }],
    ['the stock is negative', { title: 'x', price: 10, stock: -1 }],
    ['the title is empty', { title: '', price: 10 }],
    ['the seller id is not a UUID', { title: 'x', price: 10, seller_id: 'nope' }],
  ])('when %s, then 400', async (_case, fields) => {
    const sellerId = await createSeller(t.app, adminActor);
    await request(t.app)
      .post('/products')
      .set(adminActor.auth)
      .send({ seller_id: sellerId, ...fields })
      .expect(400)
      .expect(problem('validation_failed'));
  });

  test('when the seller does not exist, then 422', async () => {
    await request(t.app)
      .post('/products')
      .set(adminActor.auth)
      .send({ title: 'x', price: 10, seller_id: randomUUID() })
      .expect(422)
      .expect(problem('unknown_seller'));
  });

  describe('when listing by seller with limit and offset', () => {
    let sellerId: string;
    const ids: string[] = [];
    beforeAll(async () => {
      sellerId = await createSeller(t.app, adminActor);
      for (let i = 0; i < 3; i++) ids.push(await createProduct(t.app, adminActor, { sellerId }));
    });
    const idsOf = (body: { product_id: string }[]) => body.map((p) => p.product_id);

    test('when the first page is asked for, then it holds the oldest products', async () => {
      const first = await request(t.app).get(`/products?seller_id=${sellerId}&limit=2`).expect(200);
      expect(idsOf(first.body)).toEqual(ids.slice(0, 2));
    });

    test("when a page is asked for, then X-Total-Count counts all the seller's products", async () => {
      const first = await request(t.app).get(`/products?seller_id=${sellerId}&limit=2`).expect(200);
      expect(first.headers['x-total-count']).toBe('3');
    });

    test('when the second page is asked for, then it holds the rest', async () => {
      const second = await request(t.app)
        .get(`/products?seller_id=${sellerId}&limit=2&offset=2`)
        .expect(200);
      expect(idsOf(second.body)).toEqual(ids.slice(2));
    });

    test('when the offset is past the end, then an empty list', async () => {
      const past = await request(t.app)
        .get(`/products?seller_id=${sellerId}&offset=10`)
        .expect(200);
      expect(past.body).toEqual([]);
    });

    test('when the offset is past the end, then X-Total-Count still counts them all', async () => {
      const past = await request(t.app)
        .get(`/products?seller_id=${sellerId}&offset=10`)
        .expect(200);
      expect(past.headers['x-total-count']).toBe('3');
    });
  });

  test.each(['limit=201', 'limit=0', 'offset=-1', 'seller_id=abc'])(
    'when the list query has %s, then 400',
    async (query) => {
      await request(t.app)
        .get(`/products?${query}`)
        .expect(400)
        .expect(problem('validation_failed'));
    },
  );

  test('when the product is unknown, then 404', async () => {
    await request(t.app)
      .get(`/products/${randomUUID()}`)
      .expect(404)
      .expect(problem('product_not_found'));
  });
});
