import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { cancellationOf, purchaseEvent, tokenFor } from './support/events';
import { startTestGateway } from './support/test-app';
import type { TestGateway } from './support/test-app';

let gw: TestGateway;
beforeAll(() => {
  gw = startTestGateway();
});
afterAll(() => gw.close());

const admin = tokenFor({ role: 'admin' });

describe('GET /revenue/:seller_id', () => {
  test('when asked by each kind of caller, then only admins and the seller itself may read', async () => {
    const seller = randomUUID();
    await gw.services.ledger.book([purchaseEvent({ [seller]: 2990 })]);
    const url = `/revenue/${seller}`;
    await request(gw.app).get(url).expect(401);
    await request(gw.app)
      .get(url)
      .set(tokenFor({ role: 'customer' }))
      .expect(403);
    await request(gw.app)
      .get(url)
      .set(tokenFor({ role: 'seller', seller_id: randomUUID() }))
      .expect(403);
    const own = await request(gw.app)
      .get(url)
      .set(tokenFor({ role: 'seller', seller_id: seller }))
      .expect(200);
    expect(own.body).toEqual({
      seller_id: seller,
      total_received: 2990,
      currency: 'BRL',
      purchases_count: 1,
    });
    await request(gw.app).get(url).set(admin).expect(200);
    const bad = await request(gw.app).get('/revenue/not-a-uuid').set(admin).expect(400);
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  test('when the seller has no sales, then zeros', async () => {
    const seller = randomUUID();
    const res = await request(gw.app).get(`/revenue/${seller}`).set(admin).expect(200);
    expect(res.body).toEqual({
      seller_id: seller,
      total_received: 0,
      currency: 'BRL',
      purchases_count: 0,
    });
  });

  test('when from/to are given, then only purchases in that window count (to is inclusive for dates)', async () => {
    const seller = randomUUID();
    const at = (iso: string) => purchaseEvent({ [seller]: 100 }, { purchase_date: iso });
    const late = at('2026-03-31T23:59:59.000Z');
    await gw.services.ledger.book([
      at('2026-01-15T10:00:00.000Z'),
      at('2026-02-01T00:00:00.000Z'),
      at('2026-02-28T23:00:00.000Z'),
      late,
      purchaseEvent({ [seller]: 5 }, { purchase_date: '2026-04-01T00:00:00.000Z' }),
    ]);
    const get = (query: string) =>
      request(gw.app)
        .get(`/revenue/${seller}?${query}`)
        .set(admin)
        .expect(200)
        .then((r) => r.body);
    expect(await get('from=2026-02-01&to=2026-02-28')).toMatchObject({
      total_received: 200,
      purchases_count: 2,
    });
    expect(await get('from=2026-02-01')).toMatchObject({ total_received: 305, purchases_count: 4 });
    expect(await get('to=2026-03-31')).toMatchObject({ total_received: 400, purchases_count: 4 });
    expect(await get('from=2026-02-01T00:00:01Z&to=2026-04-01T00:00:00Z')).toMatchObject({
      total_received: 200,
    });
    // A cancellation counts in the window of the purchase it reverses.
    await gw.services.ledger.book([cancellationOf(late)]);
    expect(await get('from=2026-03-01&to=2026-03-31')).toMatchObject({
      total_received: 0,
      purchases_count: 0,
    });
  });

  test('when the dates are malformed or reversed, then 400', async () => {
    const seller = randomUUID();
    for (const query of [
      'from=yesterday',
      'to=2026-13-01',
      'from=2026-03-01&to=2026-02-01',
      'from=0000-01-01', // a valid ISO date PostgreSQL cannot store
    ]) {
      await request(gw.app).get(`/revenue/${seller}?${query}`).set(admin).expect(400);
    }
  });
});

describe('GET /revenue/:seller_id/entries', () => {
  test('when a seller has lines, then they come newest first, paginated with X-Total-Count', async () => {
    const seller = randomUUID();
    const events = ['2026-05-01', '2026-05-02', '2026-05-03'].map((day, i) =>
      purchaseEvent({ [seller]: (i + 1) * 100 }, { purchase_date: `${day}T12:00:00.000Z` }),
    );
    await gw.services.ledger.book(events);
    const auth = tokenFor({ role: 'seller', seller_id: seller });
    const first = await request(gw.app)
      .get(`/revenue/${seller}/entries?limit=2`)
      .set(auth)
      .expect(200);
    expect(first.headers['x-total-count']).toBe('3');
    expect(first.body).toEqual([
      expect.objectContaining({
        purchase_id: events[2]!.purchase_id,
        amount: 300,
        event_type: 'order_placed',
        currency: 'BRL',
        purchase_date: '2026-05-03T12:00:00.000Z',
      }),
      expect.objectContaining({
        purchase_id: events[1]!.purchase_id,
        amount: 200,
        event_id: events[1]!.event_id,
      }),
    ]);
    const rest = await request(gw.app)
      .get(`/revenue/${seller}/entries?limit=2&offset=2`)
      .set(auth)
      .expect(200);
    expect(rest.body.map((e: { amount: number }) => e.amount)).toEqual([100]);
    await request(gw.app).get(`/revenue/${seller}/entries?limit=500`).set(auth).expect(400);
    await request(gw.app)
      .get(`/revenue/${seller}/entries`)
      .set(tokenFor({ role: 'customer' }))
      .expect(403);
    await request(gw.app).get(`/revenue/${seller}/entries`).expect(401);
  });
});
