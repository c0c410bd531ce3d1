import { randomUUID } from 'node:crypto';
import { devKeyPair } from '@marketplace/common';
import request from 'supertest';
import { badTokens, signToken } from '../../test-support/tokens';
import { purchaseEvent, tokenFor } from './support/events';
import { startTestGateway } from './support/test-app';
import type { TestGateway } from './support/test-app';
import { problem } from '../../test-support/problem';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw.close());

const adminClaims = { sub: randomUUID(), username: 'root', role: 'admin' as const };

describe('tokens', () => {
  test('when a token is signed as ecommerce signs it, then it is accepted (the control)', async () => {
    const token = signToken(devKeyPair().privateKey, adminClaims);
    await request(gw.app)
      .get(`/revenue/${randomUUID()}`)
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
  });

  test.each(badTokens(devKeyPair(), adminClaims))(
    'when the token is %s, then 401 problem+json on /revenue and the dashboard',
    async (label, token) => {
      const code = label === 'expired' ? 'token_expired' : 'invalid_token';
      for (const path of [`/revenue/${randomUUID()}`, `/revenue/${randomUUID()}/entries`]) {
        await request(gw.app)
          .get(path)
          .set('Authorization', `Bearer ${token}`)
          .expect(401)
          .expect(problem(code));
      }
      await request(gw.app).get(`/admin/queues?token=${token}`).expect(401).expect(problem(code));
    },
  );
});

describe('who may read a seller revenue', () => {
  const seller = randomUUID();
  const callers: [string, number, () => Record<string, string>][] = [
    ['anonymous', 401, () => ({})],
    ['a customer', 403, () => tokenFor({ role: 'customer' })],
    ['another seller', 403, () => tokenFor({ role: 'seller', seller_id: randomUUID() })],
    ['a seller token without seller_id', 403, () => tokenFor({ role: 'seller' })],
    ['the seller itself', 200, () => tokenFor({ role: 'seller', seller_id: seller })],
    [
      'the seller itself, id in upper case in the path',
      200,
      () => tokenFor({ role: 'seller', seller_id: seller }),
    ],
    ['an admin', 200, () => tokenFor({ role: 'admin' })],
  ];

  beforeAll(() => gw.services.ledger.book([purchaseEvent({ [seller]: 2990 })]));

  test.each(callers)(
    'when %s asks, then revenue and entries answer %i',
    async (who, status, auth) => {
      const id = who.includes('upper case') ? seller.toUpperCase() : seller;
      for (const path of [`/revenue/${id}`, `/revenue/${id}/entries`]) {
        const res = await request(gw.app).get(path).set(auth()).expect(status);
        if (status === 200) expect(JSON.stringify(res.body)).toContain('2990');
        else problem(status === 401 ? 'token_required' : 'forbidden')(res);
      }
    },
  );

  test('when the seller id is upper case, then the answer names it in lower case', async () => {
    const res = await request(gw.app)
      .get(`/revenue/${seller.toUpperCase()}`)
      .set(tokenFor({ role: 'admin' }))
      .expect(200);
    expect(res.body).toMatchObject({ seller_id: seller, total_received: 2990 });
  });
});

describe('malformed paths, headers and CORS', () => {
  test.each(['/revenue/%E0%A4%A', '/revenue/%ZZ/entries'])(
    'when the path is %s, then 400 problem+json, not 500',
    async (path) => {
      await request(gw.app)
        .get(path)
        .set(tokenFor({ role: 'admin' }))
        .expect(400)
        .expect(problem('malformed_path'));
    },
  );

  test('when any response leaves, then it carries the security headers and no CORS grant', async () => {
    const res = await request(gw.app)
      .get('/health')
      .set('Origin', 'https://evil.example')
      .expect(200);
    expect(res.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'strict-transport-security': expect.stringMatching(/max-age=/),
      'content-security-policy': expect.stringMatching(/default-src 'self'/),
    });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  test('when CORS_ORIGINS lists the origin, then /revenue may be read from it', async () => {
    const open = await startTestGateway({ env: { CORS_ORIGINS: 'https://sellers.example' } });
    try {
      const res = await request(open.app)
        .get(`/revenue/${randomUUID()}`)
        .set('Origin', 'https://sellers.example')
        .set(tokenFor({ role: 'admin' }))
        .expect(200);
      expect(res.headers['access-control-allow-origin']).toBe('https://sellers.example');
    } finally {
      await open.close();
    }
  });
});
