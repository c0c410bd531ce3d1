import { randomUUID } from 'node:crypto';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { MessagingResources } from '@marketplace/common';
import request from 'supertest';
import { eventually, sleep } from '../../test-support/eventually';
import { redrive } from '../src/messaging/redrive';
import {
  cancellationOf,
  publish,
  purchaseEvent,
  sendEvents,
  sendRaw,
  tokenFor,
  watchReceives,
} from './support/events';
import { ownMessaging, startTestGateway } from './support/test-app';
import type { TestGateway } from './support/test-app';

const admin = tokenFor({ role: 'admin' });

let messaging: MessagingResources;
let gw: TestGateway;
beforeEach(async () => {
  messaging = await ownMessaging();
  gw = await startTestGateway({ queueUrl: messaging.queueUrl });
});
afterEach(() => gw.close());

const revenueOf = async (sellerId: string) =>
  (await request(gw.app).get(`/revenue/${sellerId}`).set(admin).expect(200)).body;

async function depth(queueUrl: string): Promise<number> {
  const out = await gw.services.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(out.Attributes!.ApproximateNumberOfMessages) +
    Number(out.Attributes!.ApproximateNumberOfMessagesNotVisible)
  );
}

test('when a valid event arrives, then each seller is booked its share and the message is deleted', async () => {
  const [a, b] = [randomUUID(), randomUUID()];
  const event = purchaseEvent({ [a]: 2990, [b]: 150 });
  await publish(messaging.topicArn, event);
  const result = await gw.services.drain.run();
  expect(result).toEqual({ received: 1, booked: 2, duplicates: 0, invalid: 0 });
  expect(await revenueOf(a)).toEqual({
    seller_id: a,
    total_received: 2990,
    currency: 'BRL',
    purchases_count: 1,
  });
  expect(await revenueOf(b)).toMatchObject({ total_received: 150, purchases_count: 1 });
  expect(await depth(messaging.queueUrl)).toBe(0);
  expect(gw.logs.join('')).toContain(event.event_id);
});

test('when the same event is delivered twice, then it is booked once', async () => {
  const seller = randomUUID();
  const event = purchaseEvent({ [seller]: 1000 });
  await publish(messaging.topicArn, event);
  await publish(messaging.topicArn, event);
  const result = await gw.services.drain.run();
  expect(result).toMatchObject({ received: 2, booked: 1, duplicates: 1 });
  await publish(messaging.topicArn, event); // and a third time, in a later run
  expect(await gw.services.drain.run()).toMatchObject({ received: 1, booked: 0, duplicates: 1 });
  expect(await revenueOf(seller)).toMatchObject({ total_received: 1000, purchases_count: 1 });
  const metrics = await request(gw.app).get('/metrics').expect(200);
  expect(metrics.text).toMatch(/ledger_duplicates_skipped_total 2/);
});

test('when the message is an SNS envelope, then the event inside is booked', async () => {
  const seller = randomUUID();
  const event = purchaseEvent({ [seller]: 777 });
  await sendRaw(
    messaging.queueUrl,
    JSON.stringify({
      Type: 'Notification',
      MessageId: randomUUID(),
      TopicArn: messaging.topicArn,
      Message: JSON.stringify(event),
    }),
  );
  expect(await gw.services.drain.run()).toMatchObject({ received: 1, booked: 1 });
  expect(await revenueOf(seller)).toMatchObject({ total_received: 777 });
});

test('when a message is malformed, then it reaches the DLQ after 5 receives and valid ones behind it are booked', async () => {
  const seller = randomUUID();
  await sendRaw(messaging.queueUrl, '{"event_type": "order_placed", "items": "not a map"}');
  await publish(messaging.topicArn, purchaseEvent({ [seller]: 500 }));
  let invalid = 0;
  for (let run = 0; run < 8 && (await depth(messaging.dlqUrl)) === 0; run++) {
    invalid += (await gw.services.drain.run()).invalid;
  }
  expect(invalid).toBe(5);
  expect(await depth(messaging.dlqUrl)).toBe(1);
  expect(await depth(messaging.queueUrl)).toBe(0);
  expect(await revenueOf(seller)).toMatchObject({ total_received: 500 });
  const metrics = await request(gw.app).get('/metrics').expect(200);
  expect(metrics.text).toMatch(/sqs_invalid_messages_total 5/);
  expect(metrics.text).toMatch(/sqs_dlq_depth 1/);

  // `make redrive` puts it back on the queue (where, still malformed, it would fail again).
  expect(await redrive(gw.services.sqs, gw.services.queues)).toBe(1);
  expect(await depth(messaging.dlqUrl)).toBe(0);
  expect(await depth(messaging.queueUrl)).toBe(1);
});

test('when a purchase is cancelled, then the reversal is booked negative', async () => {
  const seller = randomUUID();
  const placed = purchaseEvent({ [seller]: 4000 });
  const kept = purchaseEvent({ [seller]: 100 });
  await publish(messaging.topicArn, placed);
  await publish(messaging.topicArn, kept);
  await publish(messaging.topicArn, cancellationOf(placed));
  await gw.services.drain.run();
  expect(await revenueOf(seller)).toMatchObject({ total_received: 100, purchases_count: 1 });
  const entries = await request(gw.app).get(`/revenue/${seller}/entries`).set(admin).expect(200);
  expect(
    entries.body.map((e: { amount: number }) => e.amount).sort((x: number, y: number) => x - y),
  ).toEqual([-4000, 100, 4000]);
});

test('when the job scheduler runs, then published events are booked without calling the drain by hand', async () => {
  await gw.services.scheduler.schedule();
  await gw.services.scheduler.schedule(); // a second instance starting: still one schedule
  expect(await gw.services.scheduler.queue.getJobSchedulers()).toHaveLength(1);
  await gw.services.scheduler.startWorker(gw.services.drain);
  const seller = randomUUID();
  await publish(messaging.topicArn, purchaseEvent({ [seller]: 1234 }));
  const revenue = await eventually(
    () => revenueOf(seller),
    (r) => r.total_received > 0,
    { timeoutMs: 5000 },
  );
  expect(revenue).toMatchObject({ total_received: 1234, purchases_count: 1 });
});

test('when one event of a batch is refused by the database, then the others are booked and it is left for the DLQ', async () => {
  const seller = randomUUID();
  const good = purchaseEvent({ [seller]: 250 });
  // Valid for the schema, out of range for PostgreSQL (year 0).
  const refused = purchaseEvent({ [seller]: 999 }, { purchase_date: '0000-01-01T00:00:00Z' });
  await sendRaw(messaging.queueUrl, JSON.stringify(refused));
  await sendRaw(messaging.queueUrl, JSON.stringify(good));
  // Tests retry invalid messages at once, so one run sees the refused one 5 times, then SQS
  // dead-letters it.
  const result = await gw.services.drain.run();
  expect(result).toMatchObject({ received: 6, booked: 1, invalid: 5 });
  expect(await revenueOf(seller)).toMatchObject({ total_received: 250, purchases_count: 1 });
  expect(await depth(messaging.queueUrl)).toBe(0);
  expect(await depth(messaging.dlqUrl)).toBe(1);
});

test('when an event is in another currency, then it is not booked', async () => {
  const seller = randomUUID();
  await publish(messaging.topicArn, purchaseEvent({ [seller]: 100 }, { currency: 'USD' }));
  expect(await gw.services.drain.run()).toMatchObject({ received: 5, booked: 0, invalid: 5 });
  expect(await revenueOf(seller)).toMatchObject({ total_received: 0 });
  expect(await depth(messaging.dlqUrl)).toBe(1);
  expect(gw.logs.join('')).toContain('currency USD, this ledger books BRL');
});

test('when the worker is closed mid-drain, then the drain ends after its batch instead of using its budget', async () => {
  const slow = await startTestGateway({
    queueUrl: messaging.queueUrl,
    drainOptions: { budgetMs: 15_000, waitTimeSeconds: 1 },
  });
  try {
    const seller = randomUUID();
    // Keep messages coming so the drain would otherwise run for its whole budget.
    const feeding = setInterval(
      () => void publish(messaging.topicArn, purchaseEvent({ [seller]: 1 })),
      100,
    );
    const started = Date.now();
    const running = slow.services.drain.run();
    await sleep(500);
    slow.services.drain.stop();
    const result = await running;
    clearInterval(feeding);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(result.received).toBeGreaterThan(0);
    expect(result.booked).toBe(result.received);
  } finally {
    await slow.close();
  }
});

/** `count` events over three sellers (1 to 3 of them each); what each seller is owed. */
function eventsForThreeSellers(count: number) {
  const sellers = [randomUUID(), randomUUID(), randomUUID()];
  const owed = new Map(sellers.map((s) => [s, 0]));
  const events = Array.from({ length: count }, (_, i) => {
    const items: Record<string, number> = {};
    for (const seller of sellers.slice(0, (i % 3) + 1)) {
      items[seller] = 100 + i;
      owed.set(seller, owed.get(seller)! + 100 + i);
    }
    return purchaseEvent(items);
  });
  const entries = events.reduce((sum, e) => sum + Object.keys(e.items).length, 0);
  return { events, owed, entries };
}

test('when a run has DRAIN_CONCURRENCY loops, then that many receives are in flight and every message is booked once and deleted', async () => {
  const concurrent = await startTestGateway({
    queueUrl: messaging.queueUrl,
    env: { DRAIN_CONCURRENCY: '4' },
  });
  try {
    const { events, owed, entries } = eventsForThreeSellers(120);
    await sendEvents(concurrent.services.sqs, messaging.queueUrl, events);
    const receives = watchReceives(concurrent.services.sqs);

    const result = await concurrent.services.drain.run();

    expect(receives.maxInFlight).toBe(4);
    expect(result).toEqual({ received: 120, booked: entries, duplicates: 0, invalid: 0 });
    for (const [seller, total] of owed) {
      expect(await revenueOf(seller)).toMatchObject({ total_received: total });
    }
    expect(await depth(messaging.queueUrl)).toBe(0);
    const metrics = await request(concurrent.app).get('/metrics').expect(200);
    expect(metrics.text).toMatch(new RegExp(`ledger_entries_booked_total ${entries}\\b`));
  } finally {
    await concurrent.close();
  }
});

test('when stopped while several loops hold batches, then each batch in hand is booked and deleted and no loop receives again', async () => {
  const { events, owed, entries } = eventsForThreeSellers(150);
  await sendEvents(gw.services.sqs, messaging.queueUrl, events);
  // stop() as the first batch arrives: the other loops' receives are already in flight.
  const receives = watchReceives(gw.services.sqs, () => {
    gw.services.drain.stop();
    return Promise.resolve();
  });

  const result = await gw.services.drain.run();

  expect(receives.total).toBe(gw.services.config.drainConcurrency);
  expect(result.received).toBeGreaterThan(10); // more than one batch was in hand
  expect(result.received).toBeLessThan(events.length);
  expect(result.booked).toBeLessThan(entries);
  let lines = 0;
  for (const seller of owed.keys()) lines += (await revenueOf(seller)).purchases_count as number;
  expect(lines).toBe(result.booked);
  // Every received message was booked and deleted: the rest are still queued, none in flight.
  const out = await gw.services.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: messaging.queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  expect(out.Attributes).toMatchObject({
    ApproximateNumberOfMessages: String(events.length - result.received),
    ApproximateNumberOfMessagesNotVisible: '0',
  });
});

test('when a booking deadlocks with another transaction, then the drain books the batch again instead of holding', async () => {
  // Sorted, so the drain inserts `second`'s line last whether or not it sorts its rows.
  const [first, second] = [randomUUID(), randomUUID()].sort() as [string, string];
  const event = purchaseEvent({ [first]: 300, [second]: 200 });
  await sendRaw(messaging.queueUrl, JSON.stringify(event));
  const { sequelize } = gw.services;
  const other = await sequelize.transaction();
  const insert = (seller: string) =>
    sequelize.query(
      `INSERT INTO ledger_entries
         (purchase_id, seller_id, event_type, event_id, amount, currency, purchase_date)
       VALUES (:purchase, :seller, 'order_placed', :event, :amount, 'BRL', :date)`,
      {
        replacements: {
          purchase: event.purchase_id,
          seller,
          event: event.event_id,
          amount: event.items[seller],
          date: event.purchase_date,
        },
        transaction: other,
      },
    );
  try {
    // This session waits out the deadlock, so PostgreSQL rolls back the drain's transaction
    // (deadlock_timeout 1 s) rather than this one.
    await sequelize.query("SET LOCAL deadlock_timeout = '60s'", { transaction: other });
    await insert(second);
    const running = gw.services.drain.run();
    // The drain inserts `first`, then waits for `second`...
    await eventually(
      async () =>
        (
          await sequelize.query(
            `SELECT 1 FROM pg_stat_activity
             WHERE wait_event_type = 'Lock' AND query LIKE '%INSERT INTO ledger_entries%'
               AND pid <> pg_backend_pid()`,
          )
        )[0].length,
      (waiting) => waiting > 0,
      { timeoutMs: 5000, intervalMs: 20 },
    );
    await insert(first); // ...and this waits for `first`: a deadlock
    await other.commit();
    expect(await running).toEqual({ received: 1, booked: 0, duplicates: 2, invalid: 0 });
  } catch (error) {
    await other.rollback().catch(() => undefined);
    throw error;
  }
  expect(await depth(messaging.queueUrl)).toBe(0);
  expect(gw.logs.join('')).toContain('rolled the booking back (deadlock); booking the batch again');
  // The ledger lines, not /revenue: this test's hand-written writer skips the running totals.
  const [lines] = await gw.services.sequelize.query(
    'SELECT seller_id, amount FROM ledger_entries WHERE purchase_id = :id ORDER BY amount DESC',
    { replacements: { id: event.purchase_id } },
  );
  expect(lines).toEqual([
    { seller_id: first, amount: '300' },
    { seller_id: second, amount: '200' },
  ]);
});

test('when the queue has a backlog, then a loop books up to three full receives in one transaction before deleting them', async () => {
  const single = await startTestGateway({
    queueUrl: messaging.queueUrl,
    env: { DRAIN_CONCURRENCY: '1' },
  });
  try {
    const { events, entries } = eventsForThreeSellers(40);
    await sendEvents(single.services.sqs, messaging.queueUrl, events);
    const receives = watchReceives(single.services.sqs);

    const result = await single.services.drain.run();

    expect(result).toEqual({ received: 40, booked: entries, duplicates: 0, invalid: 0 });
    // 30 booked together and deleted 10 at a time (SQS's limit), then the last 10, then empty.
    const deletes = (n: number) => Array.from({ length: n }, () => 'delete');
    expect(receives.commands).toEqual([
      ...['receive', 'receive', 'receive', ...deletes(3)],
      ...['receive', 'receive', ...deletes(1)],
      'receive',
    ]);
    expect(await depth(messaging.queueUrl)).toBe(0);
  } finally {
    await single.close();
  }
});
