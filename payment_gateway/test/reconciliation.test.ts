import { execFile, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSClient } from '@aws-sdk/client-sqs';
import {
  ConfigError,
  createLogger,
  createSequelize,
  createSqsClient,
  transactionRunner,
  NOT_TRACED,
} from '@marketplace/common';
import type { EventType, MessagingResources, PurchaseEvent } from '@marketplace/common';
import { Client } from 'pg';
import { Registry } from 'prom-client';
import type { Sequelize } from 'sequelize';
import { prepareDatabase as prepareEcommerce } from '../../ecommerce/src/data/database';
import { OutboxRepository } from '../../ecommerce/src/data/outbox-repository';
import { ProductRepository } from '../../ecommerce/src/data/product-repository';
import { PurchaseRepository } from '../../ecommerce/src/data/purchase-repository';
import { PurchaseUseCases } from '../../ecommerce/src/domain/purchase-use-cases';
import { obliterateQueues, testBullPrefix } from '../../test-support/bullmq';
import { recreateDatabase, testDatabaseUrl } from '../../test-support/database';
import { eventually } from '../../test-support/eventually';
import { captureLogs } from '../../test-support/log-capture';
import { unique } from '../../test-support/unique';
import { loadConfig } from '../src/config';
import { prepareDatabase as preparePayments } from '../src/data/database';
import { LedgerRepository } from '../src/data/ledger-repository';
import { LedgerUseCases } from '../src/domain/ledger-use-cases';
import { messagesIn, QueueDepths } from '../src/messaging/queue-depth';
import { QueueLocator } from '../src/messaging/queue-locator';
import { failFastRedis } from '../src/messaging/recurring-job';
import { ReadOnlySnapshot } from '../src/reconciliation/read-only-snapshot';
import {
  RECONCILE_QUEUE_NAME,
  RECONCILE_SCHEDULER_ID,
  ReconcileScheduler,
} from '../src/reconciliation/reconcile-scheduler';
import { Reconciler } from '../src/reconciliation/reconciler';
import type { ReconcileOptions } from '../src/reconciliation/reconciler';
import { publish, purchaseEvent } from './support/events';
import { ownMessaging, testEnv } from './support/test-app';

/**
 * Both sides on databases of this file's own (other suites book ledger lines with no sale).
 * Each test writes its sales and ledger lines with SQL on a day of its own and reconciles that
 * day, so tests never see each other's rows. The queue is this file's own too, and stays
 * empty: a test that needs messages in a queue makes a queue of its own.
 */
const ecommerceUrl = testDatabaseUrl('ecommerce_reconcile_test');
const paymentsUrl = testDatabaseUrl('payments_reconcile_test');
const ROOT = path.resolve(__dirname, '../..');

let shop: Client;
let ledger: Client;
let buyerId: string;
let sqs: SQSClient;
let messaging: MessagingResources;
let reconciler: Reconciler;

/** The queue and DLQ counts of a queue, read as the gateway reads its own. */
const depthsOf = (queueUrl: string) => new QueueDepths(sqs, new QueueLocator(sqs, queueUrl));

beforeAll(async () => {
  sqs = createSqsClient({
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL: process.env.TEST_PAYMENTS_AWS_ENDPOINT_URL,
  });
  messaging = await ownMessaging();
  await recreateDatabase(ecommerceUrl, prepareEcommerce);
  await recreateDatabase(paymentsUrl, preparePayments);
  shop = new Client({ connectionString: ecommerceUrl });
  ledger = new Client({ connectionString: paymentsUrl });
  await Promise.all([shop.connect(), ledger.connect()]);
  buyerId = randomUUID();
  const name = unique('buyer');
  // Nobody logs in as this buyer: a hash of bcrypt's form only, the form the end-of-run
  // secret scan holds every users.password_hash to.
  await shop.query(
    `INSERT INTO users (id, username, email, password_hash) VALUES ($1, $2, $3, $4)`,
    [buyerId, name, `${name}@example.com`, `$2b$04$${'x'.repeat(53)}`],
  );
  reconciler = new Reconciler(
    { sales: ecommerceUrl, ledger: paymentsUrl },
    depthsOf(messaging.queueUrl),
  );
});
afterAll(async () => {
  await Promise.all([shop.end(), ledger.end()]);
  sqs.destroy();
});

let dayCount = 0;
/** A purchase day no other test uses. */
function ownDay(): string {
  dayCount += 1;
  return new Date(Date.UTC(2001, 0, dayCount)).toISOString().slice(0, 10);
}

interface Seller {
  sellerId: string;
  productId: string;
}

async function seller(): Promise<Seller> {
  const [sellerId, productId] = [randomUUID(), randomUUID()];
  await shop.query('INSERT INTO sellers (id, name) VALUES ($1, $2)', [sellerId, unique('seller')]);
  await shop.query(
    `INSERT INTO products (id, seller_id, title, price) VALUES ($1, $2, 'thing', 100)`,
    [productId, sellerId],
  );
  return { sellerId, productId };
}

/** The outbox event's state: never written, unpublished, or published `secondsAgo`. */
type EventState = 'none' | 'unpublished' | { publishedSecondsAgo: number };
const LONG_AGO: EventState = { publishedSecondsAgo: 3600 };

interface Sale {
  purchaseId: string;
  day: string;
  /** Per seller: the sum of its items' subtotals. */
  shares: Map<string, number>;
  cancelled: boolean;
}

/** A purchase with its items and outbox events, written as ecommerce writes them. */
async function sale(
  day: string,
  items: Array<[Seller, number]>,
  options: { placed?: EventState; cancelled?: EventState } = {},
): Promise<Sale> {
  const purchaseId = randomUUID();
  const cancelled = options.cancelled !== undefined;
  const createdAt = `${day}T12:00:00.123Z`;
  const shares = new Map<string, number>();
  for (const [s, subtotal] of items) {
    shares.set(s.sellerId, (shares.get(s.sellerId) ?? 0) + subtotal);
  }
  await shop.query(
    `INSERT INTO purchases (id, user_id, status, total_price, currency, card_brand, card_last4,
       card_holder_name, card_exp_month, card_exp_year, created_at, cancelled_at)
     VALUES ($1, $2, $3, $4, 'BRL', 'visa', '1111', 'Holder', 12, 29, $5, $6)`,
    [
      purchaseId,
      buyerId,
      cancelled ? 'cancelled' : 'placed',
      [...shares.values()].reduce((a, b) => a + b, 0),
      createdAt,
      cancelled ? createdAt : null,
    ],
  );
  for (const [position, [s, subtotal]] of items.entries()) {
    await shop.query(
      `INSERT INTO purchase_items (id, purchase_id, position, product_id, seller_id, title,
         quantity, unit_price, subtotal)
       VALUES ($1, $2, $3, $4, $5, 'thing', 1, $6::int, $6::bigint)`,
      [randomUUID(), purchaseId, position, s.productId, s.sellerId, subtotal],
    );
  }
  const events: Array<[EventType, EventState]> = [['order_placed', options.placed ?? LONG_AGO]];
  if (options.cancelled) events.push(['order_cancelled', options.cancelled]);
  for (const [type, state] of events) {
    if (state === 'none') continue;
    await shop.query(
      `INSERT INTO outbox_events (id, purchase_id, event_type, payload, published_at)
       VALUES ($1, $2, $3, $4, CASE WHEN $5::int IS NULL THEN NULL
                                     ELSE now() - make_interval(secs => $5::int) END)`,
      [
        randomUUID(),
        purchaseId,
        type,
        JSON.stringify({ items: Object.fromEntries(shares) }),
        state === 'unpublished' ? null : state.publishedSecondsAgo,
      ],
    );
  }
  return { purchaseId, day, shares, cancelled };
}

async function book(
  purchaseId: string,
  sellerId: string,
  eventType: EventType,
  amount: number,
  day: string,
): Promise<void> {
  await ledger.query(
    `INSERT INTO ledger_entries
       (purchase_id, seller_id, event_type, event_id, amount, currency, purchase_date)
     VALUES ($1, $2, $3, $4, $5, 'BRL', $6)`,
    [purchaseId, sellerId, eventType, randomUUID(), amount, `${day}T12:00:00.123Z`],
  );
}

/** Books exactly what the sale calls for, as the drain would. */
async function bookSale(s: Sale, only?: EventType): Promise<void> {
  for (const [sellerId, amount] of s.shares) {
    if (only !== 'order_cancelled') {
      await book(s.purchaseId, sellerId, 'order_placed', amount, s.day);
    }
    if (s.cancelled && only !== 'order_placed') {
      await book(s.purchaseId, sellerId, 'order_cancelled', -amount, s.day);
    }
  }
}

/** The sale's `order_placed` event as the relay publishes it. */
const placedEvent = (s: Sale): PurchaseEvent =>
  purchaseEvent(Object.fromEntries(s.shares), {
    purchase_id: s.purchaseId,
    purchase_date: `${s.day}T12:00:00.123Z`,
  });

/**
 * Receives the queue's messages without deleting them, each time visible again at once, until
 * SQS moves them to the DLQ (after 5 receives): a drain that could never book them.
 */
async function deadLetter(queue: MessagingResources): Promise<void> {
  const depths = depthsOf(queue.queueUrl);
  for (let receive = 0; receive < 10 && messagesIn(await depths.queue()) > 0; receive++) {
    await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queue.queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 0,
      }),
    );
  }
  expect(messagesIn(await depths.queue())).toBe(0);
}

const dayWindow = (day: string) => ({
  from: new Date(`${day}T00:00:00Z`),
  to: new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000),
});

const reconcileDay = (day: string, options: ReconcileOptions = {}) =>
  reconciler.run({ window: dayWindow(day), ...options });

describe('comparing the ledger with the sales', () => {
  test('when every sale is booked exactly, then there is no drift and no seller-day differs', async () => {
    const day = ownDay();
    const [a, b] = [await seller(), await seller()];
    // Two items of one seller are one ledger line of their sum.
    const s = await sale(day, [
      [a, 1000],
      [a, 500],
      [b, 300],
    ]);
    await bookSale(s);
    const report = await reconcileDay(day);
    expect(report.ok).toBe(true);
    expect(report.totals).toMatchObject({
      purchases: 1,
      salesLines: 2,
      ledgerLines: 2,
      salesNet: 1800,
      ledgerNet: 1800,
      matched: 2,
      inFlight: 0,
      drift: 0,
      differingSellerDays: 0,
    });
    expect(report.bySellerDay).toEqual([]);
  });

  test('when a sale published long ago has no ledger line, then it is missing_in_ledger drift', async () => {
    const day = ownDay();
    const [a, b] = [await seller(), await seller()];
    const s = await sale(day, [
      [a, 2990],
      [b, 150],
    ]);
    await book(s.purchaseId, a.sellerId, 'order_placed', 2990, day);
    const report = await reconcileDay(day);
    expect(report.ok).toBe(false);
    expect(report.totals).toMatchObject({ matched: 1, drift: 1, missing_in_ledger: 1 });
    expect(report.drift.missing_in_ledger).toEqual([
      {
        purchaseId: s.purchaseId,
        sellerId: b.sellerId,
        eventType: 'order_placed',
        day,
        expectedAmount: 150,
        ledgerAmount: null,
      },
    ]);
  });

  test('when a sale has no outbox event at all, then its absence from the ledger is drift', async () => {
    const day = ownDay();
    const s = await sale(day, [[await seller(), 700]], { placed: 'none' });
    const report = await reconcileDay(day);
    expect(report.totals).toMatchObject({ inFlight: 0, missing_in_ledger: 1 });
    expect(report.drift.missing_in_ledger[0]?.purchaseId).toBe(s.purchaseId);
  });

  test('when the outbox event is not published yet, then the sale is in flight, not drift', async () => {
    const day = ownDay();
    const a = await seller();
    const s = await sale(day, [[a, 2990]], { placed: 'unpublished' });
    const report = await reconcileDay(day);
    expect(report.ok).toBe(true);
    expect(report.totals).toMatchObject({ inFlight: 1, drift: 0 });
    expect(report.inFlight).toEqual([
      expect.objectContaining({
        purchaseId: s.purchaseId,
        sellerId: a.sellerId,
        expectedAmount: 2990,
        state: 'unpublished',
        since: expect.any(Date),
      }),
    ]);
    // In flight still counts as a difference between the nets of that seller and day.
    expect(report.bySellerDay).toEqual([
      {
        sellerId: a.sellerId,
        day,
        salesNet: 2990,
        ledgerNet: 0,
        inFlightNet: 2990,
        driftLines: 0,
      },
    ]);
  });

  test('when the event was published moments ago and the queue looks empty, then the sale is in flight (SQS counts lag)', async () => {
    const day = ownDay();
    await sale(day, [[await seller(), 500]], { placed: { publishedSecondsAgo: 30 } });
    const within = await reconcileDay(day);
    expect(within.ok).toBe(true);
    expect(within.inFlight.map((line) => line.state)).toEqual(['published_recently']);
  });

  test('when the event was published before the grace period and the queue is empty, then the sale is drift', async () => {
    const day = ownDay();
    await sale(day, [[await seller(), 500]], { placed: { publishedSecondsAgo: 30 } });
    const past = await reconcileDay(day, { graceSeconds: 10 });
    expect(past.ok).toBe(false);
    expect(past.totals).toMatchObject({ inFlight: 0, missing_in_ledger: 1 });
  });

  test('when a ledger amount differs from the sale, then amount_mismatch with both amounts', async () => {
    const day = ownDay();
    const a = await seller();
    const s = await sale(day, [[a, 2990]]);
    await book(s.purchaseId, a.sellerId, 'order_placed', 2900, day);
    const report = await reconcileDay(day);
    expect(report.ok).toBe(false);
    expect(report.totals).toMatchObject({ matched: 0, amount_mismatch: 1, drift: 1 });
    expect(report.drift.amount_mismatch).toEqual([
      expect.objectContaining({ expectedAmount: 2990, ledgerAmount: 2900 }),
    ]);
  });

  test('when ledger lines match no sale, then ledger_without_sale', async () => {
    const day = ownDay();
    const a = await seller();
    const placed = await sale(day, [[a, 1000]]);
    await bookSale(placed);
    // A purchase ecommerce never recorded, and a cancellation of a purchase still placed.
    await book(randomUUID(), a.sellerId, 'order_placed', 4000, day);
    await book(placed.purchaseId, a.sellerId, 'order_cancelled', -1000, day);
    const report = await reconcileDay(day);
    expect(report.ok).toBe(false);
    expect(report.totals).toMatchObject({ matched: 1, ledger_without_sale: 2, drift: 2 });
    expect(
      report.drift.ledger_without_sale.map((l) => [l.eventType, l.ledgerAmount]).sort(),
    ).toEqual([
      ['order_cancelled', -1000],
      ['order_placed', 4000],
    ]);
  });

  test('when a cancelled purchase has its negative line, then it nets to zero without drift', async () => {
    const day = ownDay();
    const [a, b] = [await seller(), await seller()];
    const s = await sale(
      day,
      [
        [a, 1200],
        [b, 800],
      ],
      { cancelled: LONG_AGO },
    );
    await bookSale(s);
    const report = await reconcileDay(day);
    expect(report.ok).toBe(true);
    expect(report.totals).toMatchObject({
      purchases: 1,
      salesLines: 4,
      matched: 4,
      salesNet: 0,
      ledgerNet: 0,
    });
  });

  test('when a cancelled purchase lacks its negative line, then it is missing_in_ledger', async () => {
    const day = ownDay();
    const a = await seller();
    const missing = await sale(day, [[a, 1200]], { cancelled: LONG_AGO });
    await bookSale(missing, 'order_placed');
    const report = await reconcileDay(day);
    expect(report.ok).toBe(false);
    expect(report.drift.missing_in_ledger).toEqual([
      expect.objectContaining({
        purchaseId: missing.purchaseId,
        eventType: 'order_cancelled',
        expectedAmount: -1200,
      }),
    ]);
  });

  test('when a cancellation event is still unpublished, then its negative line is in flight', async () => {
    const day = ownDay();
    const a = await seller();
    const pending = await sale(day, [[a, 300]], { cancelled: 'unpublished' });
    await bookSale(pending, 'order_placed');
    const report = await reconcileDay(day);
    expect(report.ok).toBe(true);
    expect(report.inFlight).toEqual([
      expect.objectContaining({
        purchaseId: pending.purchaseId,
        eventType: 'order_cancelled',
        expectedAmount: -300,
      }),
    ]);
  });

  test('when one cancellation is missing and another in flight, then the seller-day nets show both', async () => {
    const day = ownDay();
    const a = await seller();
    await bookSale(await sale(day, [[a, 1200]], { cancelled: LONG_AGO }), 'order_placed');
    await bookSale(await sale(day, [[a, 300]], { cancelled: 'unpublished' }), 'order_placed');
    const report = await reconcileDay(day);
    expect(report.bySellerDay).toEqual([
      { sellerId: a.sellerId, day, salesNet: 0, ledgerNet: 1500, inFlightNet: -300, driftLines: 1 },
    ]);
  });

  test('when several sellers and days differ, then nets are summed per seller and UTC day', async () => {
    const [day1, day2] = [ownDay(), ownDay()];
    const [a, b, c] = [await seller(), await seller(), await seller()];
    await bookSale(await sale(day1, [[a, 100]]));
    await bookSale(await sale(day1, [[b, 200]]));
    await sale(day1, [[a, 50]]); // missing
    await sale(day1, [[b, 70]], { placed: 'unpublished' });
    const mismatched = await sale(day2, [[a, 1000]]);
    await book(mismatched.purchaseId, a.sellerId, 'order_placed', 1001, day2);
    await bookSale(await sale(day2, [[c, 400]]));
    await sale(ownDay(), [[a, 9999]]); // missing too, but after the window
    await book(randomUUID(), c.sellerId, 'order_placed', 5, ownDay()); // the same
    const report = await reconciler.run({
      window: { from: dayWindow(day1).from, to: dayWindow(day2).to },
    });
    expect(report.totals).toMatchObject({
      purchases: 6,
      salesNet: 1820,
      ledgerNet: 1701,
      matched: 3,
      inFlight: 1,
      drift: 2,
      differingSellerDays: 3,
    });
    expect(report.bySellerDay).toEqual(
      [
        {
          sellerId: a.sellerId,
          day: day1,
          salesNet: 150,
          ledgerNet: 100,
          inFlightNet: 0,
          driftLines: 1,
        },
        {
          sellerId: b.sellerId,
          day: day1,
          salesNet: 270,
          ledgerNet: 200,
          inFlightNet: 70,
          driftLines: 0,
        },
        {
          sellerId: a.sellerId,
          day: day2,
          salesNet: 1000,
          ledgerNet: 1001,
          inFlightNet: 0,
          driftLines: 1,
        },
      ].sort((x, y) => x.day.localeCompare(y.day) || x.sellerId.localeCompare(y.sellerId)),
    );
  });

  test('when there are more findings than the list limit, then lists are capped and totals count all', async () => {
    const day = ownDay();
    const a = await seller();
    for (let i = 0; i < 3; i += 1) await sale(day, [[a, 10 + i]]);
    const report = await reconcileDay(day, { listLimit: 2 });
    expect(report.totals.missing_in_ledger).toBe(3);
    expect(report.drift.missing_in_ledger).toHaveLength(2);
  });
});

describe('judging by the queue', () => {
  test('when more unbooked events wait on the queue than it holds messages, then the difference is drift though the queue is not empty', async () => {
    const queue = await ownMessaging();
    const judge = new Reconciler(
      { sales: ecommerceUrl, ledger: paymentsUrl },
      depthsOf(queue.queueUrl),
    );
    const day = ownDay();
    const a = await seller();
    const lost = await sale(day, [[a, 100]]);
    const waiting = await sale(day, [[a, 200]]);
    // Only one of the two reached the queue: a queue that never empties under load must not
    // hide the other forever.
    await publish(queue.topicArn, placedEvent(waiting));
    const report = await judge.run({ window: dayWindow(day) });
    expect(report.ok).toBe(false);
    expect(report.totals).toMatchObject({ inFlight: 2, drift: 0, notInQueue: 1, deadLettered: 0 });
    expect(report.inFlight.map((line) => line.state)).toEqual([
      'queue_not_drained',
      'queue_not_drained',
    ]);

    await publish(queue.topicArn, placedEvent(lost));
    const both = await judge.run({ window: dayWindow(day) });
    expect(both.ok).toBe(true);
    expect(both.totals).toMatchObject({ inFlight: 2, notInQueue: 0 });
  });
});

describe('reading ecommerce read-only', () => {
  test('when the reconciliation session tries to write, then PostgreSQL refuses', async () => {
    const snapshot = await ReadOnlySnapshot.open(ecommerceUrl);
    try {
      expect(await snapshot.query('SHOW default_transaction_read_only')).toEqual([
        { default_transaction_read_only: 'on' },
      ]);
      expect(await snapshot.query('SHOW transaction_isolation')).toEqual([
        { transaction_isolation: 'repeatable read' },
      ]);
      await expect(
        snapshot.query(`INSERT INTO sellers (id, name) VALUES ($1, 'intruder')`, [randomUUID()]),
      ).rejects.toMatchObject({ code: '25006' }); // read_only_sql_transaction
    } finally {
      await snapshot.close();
    }
  });

  test('when a database is unreachable, then the error names the side, not the URL', async () => {
    const broken = new Reconciler(
      { sales: 'postgres://postgres:secret@127.0.0.1:1/ecommerce', ledger: paymentsUrl },
      depthsOf(messaging.queueUrl),
    );
    const error = await broken.run().catch((e: Error) => e);
    expect((error as Error).message).toMatch(/^could not read the sales: /);
    expect((error as Error).message).not.toContain('secret');
  });
});

describe('the real flow', () => {
  let shopDb: Sequelize;
  let ledgerDb: Sequelize;
  beforeAll(() => {
    shopDb = createSequelize(ecommerceUrl);
    ledgerDb = createSequelize(paymentsUrl);
  });
  afterAll(async () => {
    await Promise.all([shopDb.close(), ledgerDb.close()]);
  });

  test("when ecommerce's use cases place and cancel a purchase and the gateway books its events, then in flight, then matched", async () => {
    const [a, b] = [await seller(), await seller()];
    const purchases = new PurchaseUseCases(
      transactionRunner(shopDb),
      new PurchaseRepository(shopDb),
      new ProductRepository(shopDb),
      new OutboxRepository(shopDb),
      { nudge: () => undefined },
      'BRL',
    );
    const principal = {
      userId: buyerId,
      username: 'buyer',
      role: 'customer' as const,
      sellerId: null,
      expiresAt: new Date(Date.now() + 3600_000),
    };
    const card = { number: '4111111111111111', cvv: '123', holderName: 'Holder', expDate: '12/39' };
    const { purchase } = await purchases.place(NOT_TRACED, principal, {
      lines: [
        { productId: a.productId, quantity: 3 },
        { productId: b.productId, quantity: 1 },
      ],
      card,
    });
    await purchases.cancel(NOT_TRACED, principal, purchase.id);
    const today = purchase.createdAt.toISOString().slice(0, 10);

    const before = await reconcileDay(today);
    expect(before.ok).toBe(true);
    expect(before.inFlight.filter((l) => l.purchaseId === purchase.id)).toHaveLength(4);

    // What the relay publishes and the drain books: the outbox payloads, one of them twice.
    const { rows } = await shop.query<{ payload: PurchaseEvent }>(
      `UPDATE outbox_events SET published_at = now() WHERE purchase_id = $1 RETURNING payload`,
      [purchase.id],
    );
    const ledgerUseCases = new LedgerUseCases(
      transactionRunner(ledgerDb),
      new LedgerRepository(ledgerDb),
      'BRL',
    );
    await ledgerUseCases.book([...rows.map((r) => r.payload), rows[0]!.payload]);

    const after = await reconcileDay(today);
    expect(after.ok).toBe(true);
    const ours = (l: { purchaseId: string }) => l.purchaseId === purchase.id;
    expect(after.inFlight.filter(ours)).toEqual([]);
    expect(
      after.bySellerDay.filter((row) => [a.sellerId, b.sellerId].includes(row.sellerId)),
    ).toEqual([]);
    expect(after.totals.drift).toBe(0);
  });
});

describe('the scheduled job', () => {
  test('when RECONCILE_INTERVAL_MS is set without ECOMMERCE_DATABASE_URL, then the configuration names it', () => {
    try {
      loadConfig(testEnv({ RECONCILE_INTERVAL_MS: '60000', ECOMMERCE_DATABASE_URL: '' }));
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([
        'ECOMMERCE_DATABASE_URL: is required when RECONCILE_INTERVAL_MS is set',
      ]);
    }
    expect(loadConfig(testEnv({ RECONCILE_INTERVAL_MS: undefined })).reconcile).toBeUndefined();
  });

  test('when it runs, then it logs the drift, the gauges show the latest run, and a lost schedule comes back', async () => {
    await book(randomUUID(), randomUUID(), 'order_placed', 1, ownDay()); // at least one drift line
    const { lines: logs, destination } = captureLogs();
    const registry = new Registry();
    const redisUrl = process.env.TEST_PAYMENTS_REDIS_URL!;
    const connection = failFastRedis(redisUrl);
    const prefix = testBullPrefix('reconcile');
    const scheduler = new ReconcileScheduler({
      connection,
      redisUrl,
      intervalMs: 1000,
      prefix,
      reconciler,
      logger: createLogger({ name: 'payment_gateway', level: 'info' }, destination),
      registry,
      scheduleCheckIntervalMs: 60_000,
    });
    try {
      expect(
        await registry.getSingleMetricAsString('reconciliation_last_run_timestamp_seconds'),
      ).toContain('reconciliation_last_run_timestamp_seconds 0');
      await scheduler.schedule();
      scheduler.watch();
      await scheduler.startWorker();
      await eventually(() => scheduler.lastRun(), Boolean, { timeoutMs: 20_000 });
      const expected = await reconciler.run();
      const run = (await scheduler.lastRun())!;
      expect(run).toMatchObject({
        ok: false,
        in_flight: expected.totals.inFlight,
        drift: {
          missing_in_ledger: expected.totals.missing_in_ledger,
          amount_mismatch: expected.totals.amount_mismatch,
          ledger_without_sale: expected.totals.ledger_without_sale,
        },
        queue_checked: true,
        dead_lettered: 0,
        not_in_queue: 0,
      });
      const metrics = await registry.metrics();
      expect(metrics).toContain(
        `reconciliation_drift_lines{kind="ledger_without_sale"} ${expected.totals.ledger_without_sale}`,
      );
      expect(metrics).toContain(`reconciliation_in_flight_lines ${expected.totals.inFlight}`);
      expect(metrics).toContain('reconciliation_queue_checked 1');
      expect(metrics).toContain('reconciliation_dead_lettered_messages 0');
      expect(metrics).toContain('reconciliation_not_in_queue_events 0');
      expect(metrics).toContain(
        `reconciliation_last_run_timestamp_seconds ${Date.parse(run.finished_at) / 1000}`,
      );
      const warning = logs.map((line) => JSON.parse(line)).find((l) => l.level === 40);
      expect(warning).toMatchObject({
        msg: expect.stringContaining('reconciliation found drift'),
        ledger_without_sale: expected.totals.ledger_without_sale,
        queue_checked: true,
        queue_messages: 0,
        dead_lettered: 0,
      });

      // Redis lost the schedule (a FLUSHALL, a failover): the check puts it back.
      await scheduler.queue.removeJobScheduler(RECONCILE_SCHEDULER_ID);
      await scheduler.ensureScheduled();
      expect(await scheduler.queue.getJobScheduler(RECONCILE_SCHEDULER_ID)).toMatchObject({
        every: 1000,
      });
    } finally {
      await scheduler.close();
      await obliterateQueues(connection, prefix, [RECONCILE_QUEUE_NAME]);
      await connection.quit();
    }
  });
});

describe('the command', () => {
  beforeAll(() => {
    // Incremental: nearly free when the build is current.
    execFileSync(
      path.join(ROOT, 'node_modules/.bin/tsc'),
      ['-b', 'common', 'ecommerce', 'payment_gateway'],
      {
        cwd: ROOT,
      },
    );
  }, 120_000);

  const cli = (args: string[], env: Record<string, string> = {}) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [path.join(ROOT, 'payment_gateway/dist/cli/reconcile.js'), ...args],
        {
          env: { PATH: process.env.PATH, ...commandEnv(), ...env },
        },
        (error, stdout, stderr) =>
          resolve({ code: error ? (error.code as number) : 0, stdout, stderr }),
      );
    });

  /** Both databases and the queue, as the command reads them (the file's own, empty queue). */
  const commandEnv = () => ({
    DATABASE_URL: paymentsUrl,
    ECOMMERCE_DATABASE_URL: ecommerceUrl,
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL: process.env.TEST_PAYMENTS_AWS_ENDPOINT_URL!,
    SQS_QUEUE_URL: messaging.queueUrl,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });

  test('when the day reconciles, then exit 0 and the --json contract', async () => {
    const day = ownDay();
    const a = await seller();
    await bookSale(await sale(day, [[a, 2990]]));
    await sale(day, [[a, 10]], { placed: 'unpublished' });
    const { code, stdout } = await cli(['--json', '--from', day, '--to', day]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report).toEqual({
      ok: true,
      generated_at: expect.any(String),
      window: { from: day, to: day },
      grace_seconds: 300,
      queue: {
        checked: true,
        error: null,
        messages: 0,
        visible: 0,
        not_visible: 0,
        delayed: 0,
        dead_lettered: 0,
        applied_grace_seconds: 120,
      },
      list_limit: 100,
      totals: {
        purchases: 2,
        sales_lines: 2,
        ledger_lines: 1,
        sales_net: 3000,
        ledger_net: 2990,
        matched: 1,
        in_flight: 1,
        drift: 0,
        missing_in_ledger: 0,
        amount_mismatch: 0,
        ledger_without_sale: 0,
        dead_lettered: 0,
        not_in_queue: 0,
        differing_seller_days: 1,
      },
      in_flight: [
        {
          purchase_id: expect.any(String),
          seller_id: a.sellerId,
          event_type: 'order_placed',
          day,
          expected_amount: 10,
          ledger_amount: null,
          state: 'unpublished',
          since: expect.any(String),
        },
      ],
      drift: { missing_in_ledger: [], amount_mismatch: [], ledger_without_sale: [] },
      by_seller_day: [
        {
          seller_id: a.sellerId,
          day,
          sales_net: 3000,
          ledger_net: 2990,
          difference: 10,
          in_flight_net: 10,
          drift_lines: 0,
        },
      ],
    });
  });

  test('when the day has drift, then exit 1 and the report lists it', async () => {
    const day = ownDay();
    const a = await seller();
    const s = await sale(day, [[a, 2990]]);
    const json = await cli(['--json', '--from', day, '--to', day]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).drift.missing_in_ledger).toEqual([
      expect.objectContaining({ purchase_id: s.purchaseId, expected_amount: 2990 }),
    ]);
    const text = await cli(['--from', day, '--to', day]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(s.purchaseId);
    expect(text.stdout).toMatch(/DRIFT: 1 line\(s\) differ/);
  });

  test('when it cannot run, then exit 2 with the reason on stderr', async () => {
    const unreachable = await cli(['--json'], {
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/payments',
    });
    expect(unreachable).toMatchObject({ code: 2, stdout: '' });
    expect(unreachable.stderr).toMatch(/could not read the ledger: .*ECONNREFUSED/);
    const badUrl = await cli([], { ECOMMERCE_DATABASE_URL: 'mysql://nope' });
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain('ECOMMERCE_DATABASE_URL: must be a postgres:// URL');
    const badFlag = await cli(['--from', 'yesterday']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain('--from');
  });

  // Published 10 minutes ago: past the 300 s grace, so the grace alone called it drift (a
  // ledger database down that long left every sale behind it "missing").
  const TEN_MINUTES_AGO: EventState = { publishedSecondsAgo: 600 };

  test('when a sale published long ago still waits in the queue, then it is in flight (exit 0); once the queue is drained without booking it, drift (exit 1)', async () => {
    const queue = await ownMessaging();
    const day = ownDay();
    const a = await seller();
    const s = await sale(day, [[a, 2990]], { placed: TEN_MINUTES_AGO });
    await publish(queue.topicArn, placedEvent(s));
    const args = ['--json', '--from', day, '--to', day];
    const env = { SQS_QUEUE_URL: queue.queueUrl };

    const waiting = await cli(args, env);
    expect(waiting.code).toBe(0);
    const report = JSON.parse(waiting.stdout);
    expect(report).toMatchObject({
      ok: true,
      queue: { checked: true, messages: 1, visible: 1, not_visible: 0, dead_lettered: 0 },
      totals: { in_flight: 1, drift: 0, missing_in_ledger: 0, not_in_queue: 0 },
    });
    expect(report.in_flight).toEqual([
      expect.objectContaining({ purchase_id: s.purchaseId, state: 'queue_not_drained' }),
    ]);

    // Received by a drain that has not booked it yet (not visible): still in the queue.
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queue.queueUrl, VisibilityTimeout: 60 }),
    );
    expect(Messages).toHaveLength(1);
    const received = await cli(args, env);
    expect(received.code).toBe(0);
    expect(JSON.parse(received.stdout).queue).toMatchObject({ visible: 0, not_visible: 1 });

    // Deleted without a ledger line: nothing can bring it any more.
    await sqs.send(
      new DeleteMessageCommand({
        QueueUrl: queue.queueUrl,
        ReceiptHandle: Messages[0]!.ReceiptHandle,
      }),
    );
    const drained = await cli(args, env);
    expect(drained.code).toBe(1);
    const after = JSON.parse(drained.stdout);
    expect(after).toMatchObject({
      ok: false,
      queue: { checked: true, messages: 0 },
      totals: { in_flight: 0, missing_in_ledger: 1 },
    });
    expect(after.drift.missing_in_ledger).toEqual([
      expect.objectContaining({ purchase_id: s.purchaseId, expected_amount: 2990 }),
    ]);
  });

  test("when a sale's message is in the dead-letter queue, then it is reported as dead-lettered and is drift (exit 1)", async () => {
    const queue = await ownMessaging();
    const day = ownDay();
    const s = await sale(day, [[await seller(), 700]], { placed: TEN_MINUTES_AGO });
    await publish(queue.topicArn, placedEvent(s));
    await deadLetter(queue);
    const env = { SQS_QUEUE_URL: queue.queueUrl };

    const json = await cli(['--json', '--from', day, '--to', day], env);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      queue: { checked: true, messages: 0, dead_lettered: 1 },
      totals: { dead_lettered: 1, missing_in_ledger: 1 },
    });
    const text = await cli(['--from', day, '--to', day], env);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/dead letters +1 +\(not booked: `make redrive` once the cause/);
    expect(text.stdout).toMatch(
      /DRIFT: 1 line\(s\) differ; 1 message\(s\) in the dead-letter queue\./,
    );

    // A dead letter is drift even when every line of the day is booked (it is someone's sale).
    await book(s.purchaseId, [...s.shares.keys()][0]!, 'order_placed', 700, day);
    const booked = await cli(['--json', '--from', day, '--to', day], env);
    expect(booked.code).toBe(1);
    expect(JSON.parse(booked.stdout)).toMatchObject({
      ok: false,
      totals: { drift: 0, dead_lettered: 1 },
    });
  });

  test('when the queue cannot be read, then the report says so and the grace period decides instead', async () => {
    const day = ownDay();
    // Past the short grace of a queue read (120 s), within the 300 s of the fallback.
    const s = await sale(day, [[await seller(), 500]], { placed: { publishedSecondsAgo: 200 } });
    const args = ['--from', day, '--to', day];
    const unreachable = { AWS_ENDPOINT_URL: 'http://127.0.0.1:1' };

    const within = await cli(['--json', ...args], unreachable);
    expect(within).toMatchObject({ code: 0, stderr: '' });
    const report = JSON.parse(within.stdout);
    expect(report).toMatchObject({
      ok: true,
      queue: {
        checked: false,
        error: expect.stringMatching(/^could not read the queue: .*ECONNREFUSED/),
        messages: null,
        dead_lettered: null,
        applied_grace_seconds: 300,
      },
      totals: { in_flight: 1, dead_lettered: null, not_in_queue: 0 },
    });
    expect(report.in_flight).toEqual([
      expect.objectContaining({ purchase_id: s.purchaseId, state: 'published_recently' }),
    ]);

    const past = await cli([...args, '--grace-seconds', '100'], unreachable);
    expect(past.code).toBe(1);
    expect(past.stdout).toMatch(/queue +NOT CHECKED \(could not read the queue: .*ECONNREFUSED/);
    expect(past.stdout).toContain('dead letters   unknown (queue not read)');
    expect(past.stdout).toContain(s.purchaseId);

    // With the queue read (and empty), 200 s after publishing is past its grace: drift.
    expect((await cli(args)).code).toBe(1);
  });

  test('when run as `make reconcile` in local mode, then it reports and fails as the command does', async () => {
    const day = ownDay();
    const a = await seller();
    await bookSale(await sale(day, [[a, 990]]));
    const make = (args: string) =>
      new Promise<{ code: number | null; stdout: string }>((resolve) => {
        // The databases and queue as make's own variables, above any .env; `-o` the lock
        // file's stamp so that a test never runs `npm ci`.
        const variables = Object.entries({
          PAYMENT_GATEWAY_DATABASE_URL: paymentsUrl,
          ...commandEnv(),
        }).map(([name, value]) => `${name}=${value}`);
        execFile(
          'make',
          [
            '-s',
            '-o',
            'node_modules/.package-lock.json',
            'reconcile',
            'MODE=local',
            ...variables,
            `ARGS=${args}`,
          ],
          { cwd: ROOT, env: process.env },
          (error, stdout) => resolve({ code: error ? (error.code as number) : 0, stdout }),
        );
      });

    const ok = await make(`--from ${day} --to ${day}`);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(
      /queue +0 message\(s\) \(0 waiting, 0 received, 0 delayed\), 0 dead-lettered/,
    );
    expect(ok.stdout).toContain('OK: the ledger equals the sales.');

    const missing = await sale(day, [[a, 10]]);
    const drift = await make(`--from ${day} --to ${day}`);
    expect(drift.code).toBe(2); // make's own status for a failed recipe
    expect(drift.stdout).toContain(missing.purchaseId);
    expect(drift.stdout).toContain('DRIFT: 1 line(s) differ.');
  });
});
