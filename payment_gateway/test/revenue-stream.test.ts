import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createHttpServer } from '@marketplace/common';
import request from 'supertest';
import { waitFor } from '../../test-support/eventually';
import { openEventStream } from '../../test-support/sse';
import type { EventStream } from '../../test-support/sse';
import { cancellationOf, purchaseEvent, tokenFor } from './support/events';
import { startTestGateway } from './support/test-app';
import type { TestGateway } from './support/test-app';

/** Two gateway processes' worth of services on one ledger: a booking by either reaches both. */
let gateways: { gw: TestGateway; server: Server; url: string }[];
const streams: EventStream[] = [];

beforeAll(async () => {
  gateways = await Promise.all(
    [0, 1].map(async () => {
      const gw = await startTestGateway();
      await gw.services.feed.start();
      const server = createHttpServer(gw.app);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      return { gw, server, url: `http://127.0.0.1:${port}` };
    }),
  );
});

afterEach(() => {
  for (const stream of streams.splice(0)) stream.close();
});

afterAll(async () => {
  for (const { gw, server } of gateways) {
    await gw.close();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function follow(
  at: { url: string },
  sellerId: string,
  headers: Record<string, string>,
): Promise<EventStream> {
  const stream = await openEventStream(`${at.url}/revenue/${sellerId}/stream`, headers);
  streams.push(stream);
  return stream;
}

/** Waits (3 s unless given) for what the stream has received to satisfy `condition`. */
const until = (condition: () => boolean, timeoutMs = 3000) =>
  waitFor('the stream', condition, { timeoutMs, intervalMs: 20 });

type StreamedLine = Record<string, unknown> & { id?: string | undefined };

const entries = (stream: EventStream): StreamedLine[] =>
  stream.events
    .filter((event) => event.event === 'entry')
    .map((event) => ({ ...(JSON.parse(event.data) as Record<string, unknown>), id: event.id }));

/** The stream is open once the server has sent its `retry:` line (it then follows the feed). */
const opened = (stream: EventStream) => until(() => stream.status === 200);

describe('GET /revenue/:seller_id/stream', () => {
  test('when a sale of the seller is booked, then the open stream sends its ledger line', async () => {
    const seller = randomUUID();
    const stream = await follow(
      gateways[0]!,
      seller,
      tokenFor({ role: 'seller', seller_id: seller }),
    );
    await opened(stream);
    expect(stream.contentType).toMatch(/^text\/event-stream/);
    const event = purchaseEvent({ [seller]: 2990 });

    await gateways[0]!.gw.services.ledger.book([event]);

    await until(() => entries(stream).length === 1);
    expect(entries(stream)[0]).toMatchObject({
      purchase_id: event.purchase_id,
      event_type: 'order_placed',
      amount: 2990,
      currency: 'BRL',
    });
    expect(entries(stream)[0]!.id).toMatch(/^\d+$/);
  });

  test('when another process books the line, then the stream served here still sends it', async () => {
    const seller = randomUUID();
    const stream = await follow(gateways[0]!, seller, tokenFor({ role: 'admin' }));
    await opened(stream);

    await gateways[1]!.gw.services.ledger.book([purchaseEvent({ [seller]: 150 })]);

    await until(() => entries(stream).length === 1);
  });

  test('when a purchase is cancelled, then the stream sends the negative line', async () => {
    const seller = randomUUID();
    const placed = purchaseEvent({ [seller]: 500 });
    await gateways[0]!.gw.services.ledger.book([placed]);
    const stream = await follow(
      gateways[0]!,
      seller,
      tokenFor({ role: 'seller', seller_id: seller }),
    );
    await opened(stream);

    await gateways[0]!.gw.services.ledger.book([cancellationOf(placed)]);

    await until(() => entries(stream).some((entry) => entry.event_type === 'order_cancelled'));
    expect(entries(stream).at(-1)).toMatchObject({ event_type: 'order_cancelled', amount: -500 });
  });

  test('when other sellers sell, then nothing of theirs is sent', async () => {
    const seller = randomUUID();
    const other = randomUUID();
    const stream = await follow(
      gateways[0]!,
      seller,
      tokenFor({ role: 'seller', seller_id: seller }),
    );
    await opened(stream);

    await gateways[0]!.gw.services.ledger.book([
      purchaseEvent({ [other]: 700 }),
      purchaseEvent({ [seller]: 100, [other]: 900 }),
    ]);

    await until(() => entries(stream).length === 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(entries(stream).map((entry) => entry.amount)).toEqual([100]);
  });

  test('when a reader reconnects with Last-Event-ID, then it gets the lines booked while it was away', async () => {
    const seller = randomUUID();
    const token = tokenFor({ role: 'seller', seller_id: seller });
    const first = await follow(gateways[0]!, seller, token);
    await opened(first);
    await gateways[0]!.gw.services.ledger.book([purchaseEvent({ [seller]: 1 })]);
    await until(() => entries(first).length === 1);
    const lastId = entries(first)[0]!.id!;
    first.close();

    await gateways[0]!.gw.services.ledger.book([purchaseEvent({ [seller]: 2 })]);
    await gateways[0]!.gw.services.ledger.book([purchaseEvent({ [seller]: 3 })]);
    const resumed = await follow(gateways[1]!, seller, { ...token, 'Last-Event-ID': lastId });

    await until(() => entries(resumed).some((entry) => entry.amount === 3));
    const amounts = entries(resumed).map((entry) => entry.amount);
    // Missed lines in booking order; the margin may repeat the line the reader had.
    expect(amounts.filter((amount) => amount !== 1)).toEqual([2, 3]);
  });

  test('when the feed loses its database connection, then lines booked meanwhile still arrive', async () => {
    const seller = randomUUID();
    const { gw } = gateways[0]!;
    const stream = await follow(
      gateways[0]!,
      seller,
      tokenFor({ role: 'seller', seller_id: seller }),
    );
    await opened(stream);

    // Every LISTEN connection of this database is cut (both processes' feeds), as a restart would.
    await gw.services.sequelize.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE datname = current_database() AND query LIKE 'LISTEN%'`,
    );
    await gw.services.ledger.book([purchaseEvent({ [seller]: 42 })]);

    await until(() => entries(stream).length === 1, 5000);
    expect(entries(stream)[0]).toMatchObject({ amount: 42 });
    await until(() => gateways.every(({ gw: each }) => each.services.feed.listening), 5000);
  });

  test('when the token expires, then the stream says so and ends', async () => {
    const seller = randomUUID();
    const stream = await follow(
      gateways[0]!,
      seller,
      tokenFor({ role: 'seller', seller_id: seller }, { expiresInSeconds: 1 }),
    );

    await stream.ended;

    expect(stream.events.at(-1)?.event).toBe('expired');
  });

  test('when the service stops, then open streams end (so it can close)', async () => {
    const gw = await startTestGateway();
    await gw.services.feed.start();
    const server = createHttpServer(gw.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const seller = randomUUID();
    const { port } = server.address() as AddressInfo;
    const stream = await follow(
      { url: `http://127.0.0.1:${port}` },
      seller,
      tokenFor({ role: 'admin' }),
    );
    await opened(stream);

    await gw.close();
    await stream.ended;
    await new Promise((resolve) => server.close(resolve));

    expect(stream.events.at(-1)?.event).toBe('closing');
  });

  test.each([
    ['no token', 401, {}],
    ['a customer', 403, tokenFor({ role: 'customer' })],
    ['another seller', 403, tokenFor({ role: 'seller', seller_id: randomUUID() })],
  ])('when asked by %s, then %i problem+json and no stream', async (_who, status, headers) => {
    const res = await request(gateways[0]!.gw.app)
      .get(`/revenue/${randomUUID()}/stream`)
      .set(headers)
      .expect(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  test.each([
    ['a seller id that is not a UUID', '/revenue/nope/stream', {}],
    [
      'a Last-Event-ID that is not a line number',
      `/revenue/${randomUUID()}/stream`,
      { 'Last-Event-ID': 'x' },
    ],
  ])('when given %s, then 400', async (_what, path, headers) => {
    const res = await request(gateways[0]!.gw.app)
      .get(path)
      .set({ ...tokenFor({ role: 'admin' }), ...headers })
      .expect(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});

describe('GET /revenue/:seller_id/daily', () => {
  const app = () => gateways[0]!.gw.app;

  test('when the seller sold on two days, then one total per day, oldest first', async () => {
    const seller = randomUUID();
    const day1 = '2026-03-01T10:00:00.000Z';
    const day2 = '2026-03-03T23:59:00.000Z';
    const cancelled = purchaseEvent({ [seller]: 100 }, { purchase_date: day2 });
    await gateways[0]!.gw.services.ledger.book([
      purchaseEvent({ [seller]: 1000 }, { purchase_date: day1 }),
      purchaseEvent({ [seller]: 250 }, { purchase_date: day1 }),
      purchaseEvent({ [seller]: 300 }, { purchase_date: day2 }),
      cancelled,
    ]);
    await gateways[0]!.gw.services.ledger.book([cancellationOf(cancelled)]);

    const res = await request(app())
      .get(`/revenue/${seller}/daily?from=2026-03-01&to=2026-03-05`)
      .set(tokenFor({ role: 'seller', seller_id: seller }))
      .expect(200);

    expect(res.body).toEqual({
      seller_id: seller,
      currency: 'BRL',
      from: '2026-03-01',
      to: '2026-03-05',
      days: [
        { day: '2026-03-01', total: 1250, purchases: 2 },
        { day: '2026-03-03', total: 300, purchases: 1 },
      ],
    });
  });

  test('when no range is given, then the last 30 days up to today', async () => {
    const res = await request(app())
      .get(`/revenue/${randomUUID()}/daily`)
      .set(tokenFor({ role: 'admin' }))
      .expect(200);
    const today = new Date().toISOString().slice(0, 10);
    expect(res.body).toMatchObject({ to: today, days: [] });
    expect((Date.parse(today) - Date.parse(res.body.from)) / 86_400_000).toBe(29);
  });

  test('when asked by another seller, then 403', async () => {
    await request(app())
      .get(`/revenue/${randomUUID()}/daily`)
      .set(tokenFor({ role: 'seller', seller_id: randomUUID() }))
      .expect(403);
  });

  test.each([
    ['from after to', '?from=2026-03-05&to=2026-03-01'],
    ['more than 366 days', '?from=2024-01-01&to=2026-01-01'],
    ['a date-time instead of a day', '?from=2026-03-01T00:00:00Z'],
  ])('when given %s, then 400', async (_what, query) => {
    const res = await request(app())
      .get(`/revenue/${randomUUID()}/daily${query}`)
      .set(tokenFor({ role: 'admin' }))
      .expect(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});
