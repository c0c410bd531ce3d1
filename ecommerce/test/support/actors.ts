import { randomUUID } from 'node:crypto';
import bcrypt from 'bcrypt';
import type { Express } from 'express';
import request from 'supertest';
import { UserRepository } from '../../src/data/user-repository';
import { unique } from '../../../test-support/unique';
import type { TestApp } from './test-app';

export { unique };

export interface Actor {
  userId: string;
  username: string;
  password: string;
  token: string;
  auth: { Authorization: string };
}

export async function login(app: Express, username: string, password: string): Promise<string> {
  const res = await request(app).post('/login').send({ username, password }).expect(200);
  return (res.body as { token: string }).token;
}

/** A customer registered and logged in through the API. */
export async function customer(app: Express, prefix = 'buyer'): Promise<Actor> {
  const username = unique(prefix);
  const password = 'correct-horse-battery';
  const res = await request(app)
    .post('/user')
    .send({ username, email: `${username}@example.com`, password })
    .expect(201);
  const token = await login(app, username, password);
  return {
    userId: (res.body as { user_id: string }).user_id,
    username,
    password,
    token,
    auth: { Authorization: `Bearer ${token}` },
  };
}

/** Admins are not created over the API (fixtures make them), so the test inserts one. */
export async function admin(testApp: TestApp): Promise<Actor> {
  const username = unique('admin');
  const password = 'admin-password-1';
  const user = await new UserRepository(testApp.services.sequelize).insert({
    id: randomUUID(),
    username,
    email: `${username}@example.com`,
    passwordHash: await bcrypt.hash(password, 4),
    role: 'admin',
    sellerId: null,
  });
  const token = await login(testApp.app, username, password);
  return { userId: user.id, username, password, token, auth: { Authorization: `Bearer ${token}` } };
}

export async function createSeller(
  app: Express,
  adminActor: Actor,
  ownerUserId?: string,
): Promise<string> {
  const res = await request(app)
    .post('/seller')
    .set(adminActor.auth)
    .send({ name: unique('Seller'), ...(ownerUserId ? { owner_user_id: ownerUserId } : {}) })
    .expect(201);
  return (res.body as { seller_id: string }).seller_id;
}

/** A seller with its own user, logged in after becoming the seller (so its token says so). */
export async function sellerWithUser(
  testApp: TestApp,
  adminActor: Actor,
): Promise<Actor & { sellerId: string }> {
  const user = await customer(testApp.app, 'seller');
  const sellerId = await createSeller(testApp.app, adminActor, user.userId);
  const token = await login(testApp.app, user.username, user.password);
  return { ...user, token, auth: { Authorization: `Bearer ${token}` }, sellerId };
}

export async function createProduct(
  app: Express,
  actor: Actor,
  product: { sellerId: string; price?: number; stock?: number | null; title?: string },
): Promise<string> {
  const res = await request(app)
    .post('/products')
    .set(actor.auth)
    .send({
      title: product.title ?? unique('Product'),
      price: product.price ?? 1000,
      seller_id: product.sellerId,
      ...(product.stock !== undefined ? { stock: product.stock } : {}),
    })
    .expect(201);
  return (res.body as { product_id: string }).product_id;
}

/** A card that passes every check; expiry two years ahead. */
export function validCard(overrides: Record<string, unknown> = {}) {
  const year = (new Date().getUTCFullYear() + 2) % 100;
  return {
    card_number: '4111111111111111',
    cvv: '789',
    card_holder_name: 'Luke Skywalker',
    exp_date: `12/${String(year).padStart(2, '0')}`,
    ...overrides,
  };
}
