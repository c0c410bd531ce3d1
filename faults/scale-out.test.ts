import { outcomeOf, recordFigures } from './support/figures';
import { cancelPurchases, placePurchases, purchaseRequests, tally } from './support/load';
import { expectZeroDrift, waitUntilSettled } from './support/reconciliation';
import { metric, Scenario, setting } from './support/scenario';

const PURCHASES = setting('FAULT_SCALE_PURCHASES', 10_000);
/** Every tenth purchase is cancelled. */
const CANCEL_EVERY = 10;

let scenario: Scenario;
beforeAll(async () => {
  scenario = await Scenario.open('scale');
});
afterAll(() => scenario?.close());

test(`when 2 ecommerce processes (two relays) and 3 payment_gateway workers take ${PURCHASES} purchases, some cancelled, then the ledger equals the sales exactly`, async () => {
  const started = Date.now();
  const shops = await Promise.all([scenario.startShop(), scenario.startShop()]);
  const workers = await Promise.all(
    [1, 2, 3].map(() => scenario.startGateway({ RUN_MODE: 'worker' })),
  );
  const buyers = await scenario.buyers(shops[0].url, 8);
  const urls = shops.map((s) => s.url);
  const attempts = await placePurchases(urls, purchaseRequests(buyers, PURCHASES), {
    concurrency: 16,
  });
  expect(tally(attempts)).toEqual({ '201': PURCHASES });
  // Cancelled through the other instance than the one that took the purchase.
  const toCancel = attempts.filter((a) => a.index % CANCEL_EVERY === 0);
  const cancels = await cancelPurchases(urls[1]!, toCancel);
  expect(tally(cancels)).toEqual({ '200': toCancel.length });

  await waitUntilSettled(scenario, 600_000);
  const check = await expectZeroDrift(scenario);
  expect(check).toMatchObject({ purchases: PURCHASES, cancelled: toCancel.length });
  // Both relays published, and the work really was shared.
  const published = await Promise.all(
    urls.map((url) => metric(url, 'outbox_events_published_total')),
  );
  for (const count of published) expect(count).toBeGreaterThan(0);
  const booked = await Promise.all(
    workers.map((w) => metric(w.url, 'ledger_messages_booked_total')),
  );

  recordFigures('scale-out', {
    scenario: '2 ecommerce + 3 payment_gateway workers, purchases and cancellations',
    faults_injected: 'none (concurrency: two relays, three drains)',
    purchases_made: PURCHASES,
    accepted: attempts.filter((a) => a.status === 201).length,
    cancelled: toCancel.length,
    ...outcomeOf(check),
    duration_s: Math.round((Date.now() - started) / 1000),
    published_per_relay: published,
    booked_per_worker: booked,
  });
  // After the figures, so they are kept either way: each of the three drains booked a share.
  for (const count of booked) expect(count).toBeGreaterThan(0);
});
