import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { badTokens, signToken } from '../../test-support/tokens';
import {
  admin,
  createProduct,
  createSeller,
  customer,
  sellerWithUser,
  unique,
  validCard,
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

async function placedPurchase(buyer: Actor): Promise<string> {
  const sellerId = await createSeller(t.app, adminActor);
  const productId = await createProduct(t.app, adminActor, { sellerId });
  const res = await request(t.app)
    .post('/purchase')
    .set(buyer.auth)
    .send({ products: [{ product_id: productId }], credit_card: validCard() })
    .expect(201);
  return (res.body as { purchase_id: string }).purchase_id;
}

describe('tokens', () => {
  test('when a token is signed as ecommerce signs it, then it is accepted (the control)', async () => {
    const user = await customer(t.app);
    const token = signToken(t.services.config.jwt.privateKey, {
      sub: user.userId,
      username: user.username,
      role: 'customer',
    });
    await request(t.app).post('/refresh-token').set('Authorization', `Bearer ${token}`).expect(200);
  });

  test('when a token is issued by /login, then it names our issuer and audience', async () => {
    const user = await customer(t.app);
    const [, payload] = user.token.split('.');
    expect(JSON.parse(Buffer.from(payload!, 'base64url').toString())).toMatchObject({
      iss: 'marketplace-ecommerce',
      aud: 'marketplace',
    });
  });

  describe('when the token is', () => {
    const cases = () => {
      const { privateKey, publicKey } = t.services.config.jwt;
      return badTokens(
        { privateKey, publicKey },
        { sub: adminActor.userId, username: adminActor.username, role: 'admin' },
      );
    };
    // Built once the app (and its keys) exist: test.each needs the table up front.
    const labels = [
      'alg none, unsigned',
      'HS256 keyed with the public key',
      'a payload tampered after signing',
      'signed with another key',
      'expired',
      'not valid yet (nbf)',
      'from another issuer',
      'for another audience',
      'without issuer and audience',
      'without exp',
      'not a JWT at all',
    ];
    const routes: [string, () => request.Test][] = [
      ['POST /refresh-token', () => request(t.app).post('/refresh-token')],
      ['GET /purchase', () => request(t.app).get('/purchase')],
      ['POST /seller', () => request(t.app).post('/seller').send({ name: 'x' })],
    ];
    test.each(labels.flatMap((label) => routes.map(([route]) => [label, route])))(
      '%s, then %s answers 401 problem+json',
      async (label, route) => {
        const token = cases().find(([name]) => name === label)![1];
        const call = routes.find(([name]) => name === route)![1];
        await call()
          .set('Authorization', `Bearer ${token}`)
          .expect(401)
          .expect(problem(label === 'expired' ? 'token_expired' : 'invalid_token'));
      },
    );
  });
});

describe('who may read and cancel a purchase', () => {
  type Who = 'anonymous' | 'the buyer' | 'another customer' | 'a seller' | 'an admin';
  const actorFor = async (who: Who, buyer: Actor): Promise<Actor | undefined> => {
    switch (who) {
      case 'anonymous':
        return undefined;
      case 'the buyer':
        return buyer;
      case 'another customer':
        return customer(t.app);
      case 'a seller':
        return sellerWithUser(t, adminActor);
      case 'an admin':
        return adminActor;
    }
  };

  test.each<[Who, number, number]>([
    ['anonymous', 401, 401],
    ['the buyer', 200, 200],
    ['another customer', 403, 403],
    ['a seller', 403, 403],
    ['an admin', 200, 200],
  ])('when %s asks, then GET answers %i and cancel %i', async (who, readStatus, cancelStatus) => {
    const buyer = await customer(t.app);
    const id = await placedPurchase(buyer);
    const actor = await actorFor(who, buyer);
    const auth = actor?.auth ?? {};
    await request(t.app).get(`/purchase/${id}`).set(auth).expect(readStatus);
    await request(t.app).post(`/purchase/${id}/cancel`).set(auth).expect(cancelStatus);
  });

  test('when the id is written in upper case, then it is the same purchase (not 403/404)', async () => {
    const buyer = await customer(t.app);
    const id = await placedPurchase(buyer);
    const res = await request(t.app)
      .get(`/purchase/${id.toUpperCase()}`)
      .set(buyer.auth)
      .expect(200);
    expect(res.body.purchase_id).toBe(id);
    await request(t.app).post(`/purchase/${id.toUpperCase()}/cancel`).set(buyer.auth).expect(200);
  });
});

describe('ids in upper case', () => {
  test('when a seller user creates a product for its own seller id in upper case, then 201', async () => {
    const seller = await sellerWithUser(t, adminActor);
    const res = await request(t.app)
      .post('/products')
      .set(seller.auth)
      .send({ title: unique('Upper'), price: 100, seller_id: seller.sellerId.toUpperCase() })
      .expect(201);
    const product = await request(t.app)
      .get(`/products/${(res.body.product_id as string).toUpperCase()}`)
      .expect(200);
    expect(product.body.seller.seller_id).toBe(seller.sellerId);
    const listed = await request(t.app)
      .get(`/products?seller_id=${seller.sellerId.toUpperCase()}`)
      .expect(200);
    expect(listed.body).toHaveLength(1);
  });

  test('when a purchase names one product in both cases, then the lines are merged', async () => {
    const sellerId = await createSeller(t.app, adminActor);
    const productId = await createProduct(t.app, adminActor, { sellerId, price: 100 });
    const buyer = await customer(t.app);
    const res = await request(t.app)
      .post('/purchase')
      .set(buyer.auth)
      .send({
        products: [{ product_id: productId }, { product_id: productId.toUpperCase() }],
        credit_card: validCard(),
      })
      .expect(201);
    expect(res.body.items).toEqual([
      expect.objectContaining({ product_id: productId, quantity: 2 }),
    ]);
  });
});

describe('malformed paths', () => {
  test.each(['/products/%E0%A4%A', '/seller/%ZZ', '/purchase/%C0%80'])(
    'when the path is %s, then 400 problem+json, not 500',
    async (path) => {
      const res = await request(t.app)
        .get(path)
        .set(adminActor.auth)
        .expect(400)
        .expect(problem('malformed_path'));
      expect(res.body).toMatchObject({ status: 400, detail: expect.stringMatching(/percent/) });
    },
  );
});

describe('headers and CORS', () => {
  test('when any response leaves, then it carries the security headers', async () => {
    const res = await request(t.app).get('/health').expect(200);
    expect(res.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
      'strict-transport-security': expect.stringMatching(/max-age=/),
      'content-security-policy': expect.stringMatching(/default-src 'self'/),
      'referrer-policy': 'no-referrer',
    });
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  test('when CORS_ORIGINS is unset, then no origin is allowed', async () => {
    const res = await request(t.app)
      .options('/products')
      .set('Origin', 'https://evil.example')
      .set('Access-Control-Request-Method', 'GET');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  test('when CORS_ORIGINS lists an origin, then it (only) may call, preflight included', async () => {
    const open = await startTestApp({
      env: { CORS_ORIGINS: 'https://shop.example,http://localhost:3000' },
    });
    try {
      const preflight = await request(open.app)
        .options('/purchase')
        .set('Origin', 'https://shop.example')
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'authorization,content-type')
        .expect(204);
      expect(preflight.headers['access-control-allow-origin']).toBe('https://shop.example');
      const list = await request(open.app).get('/products').set('Origin', 'https://shop.example');
      expect(list.headers['access-control-expose-headers']).toContain('X-Total-Count');
      const other = await request(open.app).get('/products').set('Origin', 'https://evil.example');
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await open.close();
    }
  });
});

describe('the login limiter behind a proxy', () => {
  const failTenTimes = async (app: TestApp['app'], username: string, forwardedFor: string) => {
    for (let i = 0; i < 10; i++) {
      await request(app)
        .post('/login')
        .set('X-Forwarded-For', forwardedFor)
        .send({ username, password: 'wrong-password' })
        .expect(401);
    }
  };

  test('when TRUST_PROXY is off, then X-Forwarded-For is ignored (one key for every client)', async () => {
    const user = await customer(t.app);
    await failTenTimes(t.app, user.username, '198.51.100.1');
    await request(t.app)
      .post('/login')
      .set('X-Forwarded-For', '198.51.100.2')
      .send({ username: user.username, password: user.password })
      .expect(429)
      .expect(problem('rate_limited'));
  });

  test('when TRUST_PROXY trusts the proxy, then each client address has its own limit', async () => {
    const proxied = await startTestApp({ env: { TRUST_PROXY: 'loopback' } });
    try {
      const user = await customer(proxied.app);
      await failTenTimes(proxied.app, user.username, '198.51.100.1');
      await request(proxied.app)
        .post('/login')
        .set('X-Forwarded-For', '198.51.100.1')
        .send({ username: user.username, password: user.password })
        .expect(429);
      await request(proxied.app)
        .post('/login')
        .set('X-Forwarded-For', '198.51.100.2')
        .send({ username: user.username, password: user.password })
        .expect(200);
    } finally {
      await proxied.close();
    }
  });
});

describe('the bcrypt limiter (shared by /login and POST /user)', () => {
  const registration = () => {
    const username = unique('flood');
    return { username, email: `${username}@example.com`, password: randomUUID() };
  };
  // Distinct usernames: the per-username login limiter must not be what answers.
  const login = () => ({ username: unique('flood'), password: randomUUID() });

  test.each([
    ['logins', '/login', login, 401],
    ['registrations', '/user', registration, 201],
  ])(
    'when more %s arrive than hashing slots and queue, then the excess gets 503 with Retry-After, and nothing of it was done',
    async (_what, path, body, answered) => {
      // One slot, 16 waiting; each hash at cost 12 takes long enough for the flood to pile up.
      const slow = await startTestApp({ env: { BCRYPT_ROUNDS: '12', BCRYPT_CONCURRENCY: '1' } });
      try {
        const bodies = Array.from({ length: 30 }, body);
        const responses = await Promise.all(
          bodies.map((each) => request(slow.app).post(path).send(each)),
        );
        const statuses = responses.map((r) => r.status);
        expect(statuses.filter((status) => ![answered, 503].includes(status))).toEqual([]);
        // The one running and the 16 queued are answered; only the rest is refused.
        expect(statuses.filter((status) => status === answered).length).toBeGreaterThanOrEqual(17);
        const refused = statuses.indexOf(503);
        expect(refused).toBeGreaterThanOrEqual(0);
        expect(responses[refused]!.headers['retry-after']).toBe('1');
        problem('overloaded')(responses[refused]!);
        // Refused before any work: sent again once the flood is over, it is answered as new
        // (a registration that had been made would now be 409 username_taken).
        await request(slow.app).post(path).send(bodies[refused]).expect(answered);
      } finally {
        await slow.close();
      }
    },
  );
});
