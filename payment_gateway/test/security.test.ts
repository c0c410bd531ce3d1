import { randomUUID } from 'node:crypto';
import { devKeyPair } from '@marketplace/common';
import request from 'supertest';
import { waitFor } from '../../test-support/eventually';
import { openEventStream } from '../../test-support/sse';
import type { EventStream } from '../../test-support/sse';
import { badTokens, signToken } from '../../test-support/tokens';
import { purchaseEvent, tokenFor } from './support/events';
import { listening, startTestGateway } from './support/test-app';
import type { TestGateway } from './support/test-app';
import { problem } from '../../test-support/problem';

let gw: TestGateway;
let server: Awaited<ReturnType<typeof listening>>;
beforeAll(async () => {
  gw = await startTestGateway();
  server = await listening(gw.app);
});
afterAll(async () => {
  await gw.close();
  await server.close();
});

/** The live stream as these headers open it (the test closes it). */
const openStream = (path: string, headers: Record<string, string>): Promise<EventStream> =>
  openEventStream(`${server.url}${path}`, headers);

/** The stream's refusal, checked as `problem(code)` checks a supertest response. */
async function expectStreamRefused(
  path: string,
  headers: Record<string, string>,
  status: number,
  check: (res: NonNullable<EventStream['refusal']>) => void,
): Promise<void> {
  const stream = await openStream(path, headers);
  stream.close();
  expect(stream.status).toBe(status);
  check(stream.refusal!);
}

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
    'when the token is %s, then 401 problem+json on every /revenue read, the live stream and the dashboard',
    async (label, token) => {
      const code = label === 'expired' ? 'token_expired' : 'invalid_token';
      const auth = { Authorization: `Bearer ${token}` };
      for (const read of ['', '/entries', '/daily']) {
        await request(gw.app)
          .get(`/revenue/${randomUUID()}${read}`)
          .set(auth)
          .expect(401)
          .expect(problem(code));
      }
      await expectStreamRefused(`/revenue/${randomUUID()}/stream`, auth, 401, problem(code));
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
    'when %s asks, then revenue, entries, daily totals and the live stream answer %i',
    async (who, status, auth) => {
      const id = who.includes('upper case') ? seller.toUpperCase() : seller;
      const refusal = problem(status === 401 ? 'token_required' : 'forbidden');
      for (const path of [`/revenue/${id}`, `/revenue/${id}/entries`, `/revenue/${id}/daily`]) {
        const res = await request(gw.app).get(path).set(auth()).expect(status);
        if (status === 200) expect(JSON.stringify(res.body)).toContain('2990');
        else refusal(res);
      }
      // From the first line on (Last-Event-ID 0): a stream let through sends the seller's line.
      const stream = await openStream(`/revenue/${id}/stream`, { ...auth(), 'Last-Event-ID': '0' });
      try {
        expect(stream.status).toBe(status);
        if (status === 200) {
          await waitFor('the seller line on the stream', () =>
            stream.events.some((event) => event.event === 'entry' && event.data.includes('2990')),
          );
        } else refusal(stream.refusal!);
      } finally {
        stream.close();
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
