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
  test('when an admin creates a seller, then it can be read back and is listed', async () => {
    const name = unique('Josias');
    const created = await request(t.app)
      .post('/seller')
      .set(adminActor.auth)
      .send({ name })
      .expect(201);
    const id = created.body.seller_id as string;
    const one = await request(t.app).get(`/seller/${id}`).expect(200);
    expect(one.body).toEqual({ seller_id: id, name, created_at: expect.stringMatching(/Z$/) });
    const list = await request(t.app).get('/seller?limit=200').expect(200);
    expect(Number(list.headers['x-total-count'])).toBeGreaterThanOrEqual(1);
    expect(list.body).toEqual(expect.arrayContaining([one.body]));
  });

  test('when the owner is named, then that user becomes the seller user (role and claim)', async () => {
    const owner = await customer(t.app);
    const sellerId = await createSeller(t.app, adminActor, owner.userId);
    const token = await login(t.app, owner.username, owner.password);
    expect(jwt.decode(token)).toMatchObject({ role: 'seller', seller_id: sellerId });
  });

  test('when the owner is unknown, then 422, and when already a seller, then 409', async () => {
    await request(t.app)
      .post('/seller')
      .set(adminActor.auth)
      .send({ name: 'x', owner_user_id: randomUUID() })
      .expect(422)
      .expect(problem('unknown_user'));
    const owner = await customer(t.app);
    await createSeller(t.app, adminActor, owner.userId);
    await request(t.app)
      .post('/seller')
      .set(adminActor.auth)
      .send({ name: 'second', owner_user_id: owner.userId })
      .expect(409)
      .expect(problem('owner_not_eligible'));
  });

  test('when a customer or nobody creates a seller, then 403 or 401', async () => {
    const buyer = await customer(t.app);
    await request(t.app)
      .post('/seller')
      .set(buyer.auth)
      .send({ name: 'x' })
      .expect(403)
      .expect(problem('forbidden'));
    await request(t.app)
      .post('/seller')
      .send({ name: 'x' })
      .expect(401)
      .expect(problem('token_required'));
  });

  test('when the name is empty or an unknown field is sent, then 400', async () => {
    await request(t.app)
      .post('/seller')
      .set(adminActor.auth)
      .send({ name: '  ' })
      .expect(400)
      .expect(problem('validation_failed'));
    await request(t.app)
      .post('/seller')
      .set(adminActor.auth)
      .send({ name: 'a', x: 1 })
      .expect(400)
      .expect(problem('validation_failed'));
  });

  test('when the seller is unknown, then 404; when the id is not a UUID, then 400', async () => {
    await request(t.app)
      .get(`/seller/${randomUUID()}`)
      .expect(404)
      .expect(problem('seller_not_found'));
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

  test('when a seller user adds to its own seller, then 201; to another seller, then 403', async () => {
    const seller = await sellerWithUser(t, adminActor);
    const own = await createProduct(t.app, seller, { sellerId: seller.sellerId });
    expect((await request(t.app).get(`/products/${own}`)).body.stock).toBeNull();
    const otherSeller = await createSeller(t.app, adminActor);
    await request(t.app)
      .post('/products')
      .set(seller.auth)
      .send({ title: 'x', price: 10, seller_id: otherSeller })
      .expect(403)
      .expect(problem('forbidden'));
  });

  test('when a customer adds a product, then 403; without a token, then 401', async () => {
    const sellerId = await createSeller(t.app, adminActor);
    const buyer = await customer(t.app);
    await request(t.app)
      .post('/products')
      .set(buyer.auth)
      .send({ title: 'x', price: 10, seller_id: sellerId })
      .expect(403)
      .expect(problem('forbidden'));
    await request(t.app)
      .post('/products')
      .send({ title: 'x', price: 10, seller_id: sellerId })
      .expect(401)
      .expect(problem('token_required'));
  });

  test('when price is not a positive integer or stock negative, then 400', async () => {
    const sellerId = await createSeller(t.app, adminActor);
    for (const body of [
      { title: 'x', price: 0, seller_id: sellerId },
      { title: 'x', price: 10.5, seller_id: sellerId },
      { title: 'x', price: '10', seller_id: sellerId },
      { title: 'x', price: 10, seller_id: sellerId, stock: -1 },
      { title: '', price: 10, seller_id: sellerId },
      { title: 'x', price: 10, seller_id: 'nope' },
    ]) {
      await request(t.app)
        .post('/products')
        .set(adminActor.auth)
        .send(body)
        .expect(400)
        .expect(problem('validation_failed'));
    }
  });

  test('when the seller does not exist, then 422', async () => {
    await request(t.app)
      .post('/products')
      .set(adminActor.auth)
      .send({ title: 'x', price: 10, seller_id: randomUUID() })
      .expect(422)
      .expect(problem('unknown_seller'));
  });

  test('when listing by seller with limit and offset, then pages and X-Total-Count', async () => {
    const sellerId = await createSeller(t.app, adminActor);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await createProduct(t.app, adminActor, { sellerId }));
    const first = await request(t.app).get(`/products?seller_id=${sellerId}&limit=2`).expect(200);
    expect(first.headers['x-total-count']).toBe('3');
    expect(first.body.map((p: { product_id: string }) => p.product_id)).toEqual(ids.slice(0, 2));
    const second = await request(t.app)
      .get(`/products?seller_id=${sellerId}&limit=2&offset=2`)
      .expect(200);
    expect(second.body.map((p: { product_id: string }) => p.product_id)).toEqual(ids.slice(2));
    const past = await request(t.app).get(`/products?seller_id=${sellerId}&offset=10`).expect(200);
    expect(past.body).toEqual([]);
    expect(past.headers['x-total-count']).toBe('3');
  });

  test('when the list query is out of range, then 400', async () => {
    await request(t.app)
      .get('/products?limit=201')
      .expect(400)
      .expect(problem('validation_failed'));
    await request(t.app).get('/products?limit=0').expect(400);
    await request(t.app).get('/products?offset=-1').expect(400);
    await request(t.app).get('/products?seller_id=abc').expect(400);
  });

  test('when the product is unknown, then 404', async () => {
    await request(t.app)
      .get(`/products/${randomUUID()}`)
      .expect(404)
      .expect(problem('product_not_found'));
  });
});
