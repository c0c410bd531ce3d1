import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import request from 'supertest';
import { eventually } from '../../test-support/eventually';
import { LedgerRepository } from '../src/data/ledger-repository';
import { entriesOf } from '../src/domain/ledger-use-cases';
import type { DateRange } from '../src/data/ledger-repository';
import { cancellationOf, purchaseEvent, tokenFor } from './support/events';
import { startTestGateway } from './support/test-app';
import type { TestGateway } from './support/test-app';
import { problem } from '../../test-support/problem';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw.close());

const admin = tokenFor({ role: 'admin' });

describe('GET /revenue/:seller_id', () => {
  test('when asked by each kind of caller, then only admins and the seller itself may read', async () => {
    const seller = randomUUID();
    await gw.services.ledger.book([purchaseEvent({ [seller]: 2990 })]);
    const url = `/revenue/${seller}`;
    await request(gw.app).get(url).expect(401).expect(problem('token_required'));
    await request(gw.app)
      .get(url)
      .set(tokenFor({ role: 'customer' }))
      .expect(403)
      .expect(problem('forbidden'));
    await request(gw.app)
      .get(url)
      .set(tokenFor({ role: 'seller', seller_id: randomUUID() }))
      .expect(403)
      .expect(problem('forbidden'));
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
    await request(gw.app)
      .get('/revenue/not-a-uuid')
      .set(admin)
      .expect(400)
      .expect(problem('validation_failed'));
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
    for (const [query, code] of [
      ['from=yesterday', 'validation_failed'],
      ['to=2026-13-01', 'validation_failed'],
      ['from=2026-03-01&to=2026-02-01', 'validation_failed'],
      // A valid ISO date PostgreSQL cannot store: refused by PostgreSQL (SQLSTATE class 22).
      ['from=0000-01-01', 'value_out_of_range'],
    ] as const) {
      await request(gw.app)
        .get(`/revenue/${seller}?${query}`)
        .set(admin)
        .expect(400)
        .expect(problem(code));
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
    await request(gw.app)
      .get(`/revenue/${seller}/entries?limit=500`)
      .set(auth)
      .expect(400)
      .expect(problem('validation_failed'));
    await request(gw.app)
      .get(`/revenue/${seller}/entries`)
      .set(tokenFor({ role: 'customer' }))
      .expect(403)
      .expect(problem('forbidden'));
    await request(gw.app)
      .get(`/revenue/${seller}/entries`)
      .expect(401)
      .expect(problem('token_required'));
  });
});

describe('totals from the daily totals table', () => {
  const repository = () => new LedgerRepository(gw.services.sequelize);

  /** The old query: a plain sum over every ledger line of the seller in [from, to). */
  async function plainSum(seller: string, range: DateRange) {
    const [rows] = await gw.services.sequelize.query(
      `SELECT coalesce(sum(amount), 0) AS total,
              coalesce(sum(CASE event_type WHEN 'order_placed' THEN 1 ELSE -1 END), 0) AS purchases,
              count(*) AS entries
       FROM ledger_entries WHERE seller_id = :seller
         AND (CAST(:from AS timestamptz) IS NULL OR purchase_date >= :from)
         AND (CAST(:to AS timestamptz) IS NULL OR purchase_date < :to)`,
      {
        replacements: {
          seller,
          from: range.from?.toISOString() ?? null,
          to: range.to?.toISOString() ?? null,
        },
      },
    );
    const row = rows[0] as { total: string; purchases: string; entries: string };
    return {
      total: Number(row.total),
      purchases: Number(row.purchases),
      entries: Number(row.entries),
    };
  }

  async function dailyTotals(seller: string) {
    const [rows] = await gw.services.sequelize.query(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, amount::int, purchases::int, entries::int
       FROM seller_daily_totals WHERE seller_id = :seller ORDER BY day`,
      { replacements: { seller } },
    );
    return rows;
  }

  const DAY = 24 * 3600 * 1000;
  const START = Date.parse('2026-06-01T00:00:00.000Z');

  test('when ranges start and end anywhere, then the sums are those of every ledger line in them', async () => {
    const seller = randomUUID();
    // Purchases over five days, some exactly at midnight or a millisecond either side of it.
    const instants = fc.sample(
      fc.oneof(
        fc.integer({ min: 0, max: 5 * DAY - 1 }),
        fc
          .integer({ min: 1, max: 4 })
          .chain((d) => fc.constantFrom(d * DAY - 1, d * DAY, d * DAY + 1)),
      ),
      { numRuns: 60, seed: 42 },
    );
    const placed = instants.map((at, i) =>
      purchaseEvent(
        { [seller]: 100 + i, [randomUUID()]: 7 },
        { purchase_date: new Date(START + at).toISOString() },
      ),
    );
    const cancelled = placed.filter((_, i) => i % 4 === 0).map(cancellationOf);
    await gw.services.ledger.book(placed);
    await gw.services.ledger.book(cancelled);
    // Redeliveries, also twice in one batch: nothing is booked or totalled again.
    expect(
      await gw.services.ledger.book([...placed.slice(0, 10), placed[3]!, ...cancelled]),
    ).toEqual(expect.objectContaining({ booked: 0 }));

    const instant = fc.oneof(
      fc.integer({ min: -DAY, max: 6 * DAY }),
      fc.integer({ min: -1, max: 6 }).map((d) => d * DAY),
      fc.constantFrom(...instants),
    );
    await fc.assert(
      fc.asyncProperty(fc.option(instant), fc.option(instant), async (a, b) => {
        const [lo, hi] = a !== null && b !== null && b < a ? [b, a] : [a, b];
        const range: DateRange = {
          from: lo === null ? undefined : new Date(START + lo),
          to: hi === null ? undefined : new Date(START + hi),
        };
        const expected = await plainSum(seller, range);
        expect(await repository().summary(seller, range)).toEqual(expected);
        expect(await repository().totals(seller, range)).toEqual({
          total: expected.total,
          purchases: expected.purchases,
        });
      }),
      { numRuns: 150 },
    );
  });

  test('when events are redelivered, then the daily totals count each ledger line once', async () => {
    const seller = randomUUID();
    const first = purchaseEvent({ [seller]: 1000 }, { purchase_date: '2026-07-01T23:59:59.999Z' });
    const second = purchaseEvent({ [seller]: 250 }, { purchase_date: '2026-07-02T00:00:00.000Z' });
    await gw.services.ledger.book([first, first, second]);
    await gw.services.ledger.book([first, second, cancellationOf(first)]);
    await gw.services.ledger.book([second]);
    expect(await dailyTotals(seller)).toEqual([
      { day: '2026-07-01', amount: 0, purchases: 0, entries: 2 },
      { day: '2026-07-02', amount: 250, purchases: 1, entries: 1 },
    ]);
    const res = await request(gw.app).get(`/revenue/${seller}`).set(admin).expect(200);
    expect(res.body).toMatchObject({ total_received: 250, purchases_count: 1 });
  });

  test('when drains book overlapping batches at once, in any order, then none deadlocks and each line counts once', async () => {
    const { sequelize } = gw.services;
    const seller = randomUUID();
    const events = Array.from({ length: 41 }, (_, i) =>
      purchaseEvent(
        { [seller]: 10 },
        { purchase_date: new Date(START + (i % 3) * DAY + i).toISOString() },
      ),
    );
    const entries = events
      .flatMap(entriesOf)
      .sort((a, b) => (a.purchaseId < b.purchaseId ? -1 : 1));
    // A third transaction holds the middle line, so both bookings below are inside their
    // statements when it goes: one booking from the first line up, the other from the last
    // line down. Were the rows inserted in the order given, each would then wait for a line
    // the other holds: a deadlock.
    const holder = await sequelize.transaction();
    await repository().book([entries[20]!], holder);
    const bookings = [entries, [...entries].reverse()].map((batch) =>
      sequelize.transaction((transaction) => repository().book(batch, transaction)),
    );
    const waiting = async () => {
      const [rows] = await sequelize.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      return (rows[0] as { n: number }).n;
    };
    await eventually(waiting, (n) => n >= 2, { timeoutMs: 2000, intervalMs: 20 });
    await holder.rollback();
    const booked = await Promise.all(bookings);
    expect(booked.reduce((sum, n) => sum + n, 0)).toBe(41);
    expect(await repository().summary(seller, {})).toEqual({
      total: 410,
      purchases: 41,
      entries: 41,
    });
    expect(await dailyTotals(seller)).toHaveLength(3);
  });
});

describe('GET /revenue/:seller_id/entries by cursor', () => {
  type Line = { entry_id: string; purchase_date: string; booked_at: string };

  /** Follows the Link rel="next" headers from the first page; every page and the lines. */
  async function walk(firstUrl: string, auth: Record<string, string>) {
    const lines: Line[] = [];
    const totals: string[] = [];
    let url: string | undefined = firstUrl;
    let pages = 0;
    while (url) {
      const res: request.Response = await request(gw.app).get(url).set(auth).expect(200);
      lines.push(...(res.body as Line[]));
      totals.push(res.headers['x-total-count'] as string);
      url = /^<([^>]+)>; rel="next"$/.exec(res.headers.link ?? '')?.[1];
      if (++pages > 50) throw new Error('the pages never end');
    }
    return { lines, totals, pages };
  }

  test('when pages follow the Link header, then every line comes exactly once, newest first, also among equal dates', async () => {
    const seller = randomUUID();
    const auth = tokenFor({ role: 'seller', seller_id: seller });
    const day = (d: number, time = '12:00:00.000') => `2026-08-0${d}T${time}Z`;
    // Seven purchases share one instant, booked in one batch (same booked_at) and in two others.
    const same = Array.from({ length: 7 }, () =>
      purchaseEvent({ [seller]: 100 }, { purchase_date: day(2) }),
    );
    const others = [1, 2, 3, 4, 5].map((d) =>
      purchaseEvent({ [seller]: 5 }, { purchase_date: day(d, '08:30:00.000') }),
    );
    await gw.services.ledger.book([...same.slice(0, 5), ...others]);
    await gw.services.ledger.book([same[5]!]);
    await gw.services.ledger.book([same[6]!, cancellationOf(same[0]!), cancellationOf(others[4]!)]);

    const { lines, totals, pages } = await walk(`/revenue/${seller}/entries?limit=3`, auth);
    expect(pages).toBe(5); // 14 lines, 3 a page
    expect(new Set(lines.map((l) => l.entry_id)).size).toBe(14);
    expect(totals).toEqual(Array(5).fill('14'));
    // The same order as one big page, which is newest purchase first.
    const all = await request(gw.app).get(`/revenue/${seller}/entries?limit=200`).set(auth);
    expect(lines.map((l) => l.entry_id)).toEqual(all.body.map((l: Line) => l.entry_id));
    expect(all.headers.link).toBeUndefined();
    const dates = lines.map((l) => l.purchase_date);
    expect(dates).toEqual([...dates].sort().reverse());
    // Pages by offset list the lines in that same order.
    const byOffset: Line[] = [];
    for (let offset = 0; offset < 14; offset += 4) {
      const res = await request(gw.app)
        .get(`/revenue/${seller}/entries?limit=4&offset=${offset}`)
        .set(auth);
      byOffset.push(...res.body);
    }
    expect(byOffset.map((l) => l.entry_id)).toEqual(lines.map((l) => l.entry_id));
  });

  test('when a range is given, then the next links keep it and the count is that of the range', async () => {
    const seller = randomUUID();
    const auth = tokenFor({ role: 'seller', seller_id: seller });
    const events = Array.from({ length: 30 }, (_, i) =>
      purchaseEvent(
        { [seller]: 10 },
        {
          purchase_date: new Date(
            Date.parse('2026-09-01T00:00:00Z') + i * 5 * 3600_000,
          ).toISOString(),
        },
      ),
    );
    await gw.services.ledger.book(events);
    // 2026-09-01T07:00Z .. 2026-09-05T03:00Z: partial days at both ends, whole days between.
    const query = 'from=2026-09-01T07:00:00Z&to=2026-09-05T03:00:00Z&limit=4';
    const first = await request(gw.app).get(`/revenue/${seller}/entries?${query}`).set(auth);
    expect(first.headers.link).toMatch(
      /from=2026-09-01T07%3A00%3A00Z&to=2026-09-05T03%3A00%3A00Z&limit=4&cursor=/,
    );
    const { lines, totals } = await walk(`/revenue/${seller}/entries?${query}`, auth);
    const inRange = events.filter(
      (e) =>
        e.purchase_date >= '2026-09-01T07:00:00.000Z' &&
        e.purchase_date < '2026-09-05T03:00:00.000Z',
    );
    expect(lines.map((l) => l.purchase_date).sort()).toEqual(
      inRange.map((e) => e.purchase_date).sort(),
    );
    expect(new Set(totals)).toEqual(new Set([String(inRange.length)]));
  });

  test('when the cursor is not one this service gave out, or comes with an offset, then 400 problem+json', async () => {
    const seller = randomUUID();
    await gw.services.ledger.book([purchaseEvent({ [seller]: 1 }), purchaseEvent({ [seller]: 2 })]);
    const first = await request(gw.app)
      .get(`/revenue/${seller}/entries?limit=1`)
      .set(admin)
      .expect(200);
    const next = /^<([^>]+)>/.exec(first.headers.link ?? '')![1]!;
    for (const url of [
      `/revenue/${seller}/entries?cursor=garbage`,
      `/revenue/${seller}/entries?cursor=${Buffer.from('after:1').toString('base64url')}`,
      `/revenue/${seller}/entries?cursor=`,
      `${next}&offset=1`,
    ]) {
      await request(gw.app).get(url).set(admin).expect(400).expect(problem('validation_failed'));
    }
    // Another seller's cursor positions nothing of this seller's: an empty page.
    const other = randomUUID();
    const foreign = next.replace(seller, other);
    const res = await request(gw.app).get(foreign).set(admin).expect(200);
    expect(res.body).toEqual([]);
  });
});
