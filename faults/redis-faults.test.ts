import { outcomeOf, recordFigures } from './support/figures';
import { placePurchases, purchaseRequests, tally } from './support/load';
import { expectZeroDrift, ledgerLines, waitUntilSettled } from './support/reconciliation';
import { sleep, waitFor } from '../test-support/eventually';
import { metric, Scenario, setting } from './support/scenario';

const PURCHASES = setting('FAULT_REDIS_PURCHASES', 1000);
const REDIS_DOWN_S = setting('FAULT_REDIS_DOWN_S', 5);

let scenario: Scenario | undefined;
afterEach(async () => {
  await scenario?.close();
  scenario = undefined;
});

/**
 * Purchases flow while the drain runs; once the ledger is filling, the fault hits the suite's
 * own Redis (the gateway's BullMQ queue, job scheduler and locks all live there).
 */
async function drainThrough(id: string, fault: string, inject: (s: Scenario) => Promise<void>) {
  const started = Date.now();
  scenario = await Scenario.open(id);
  const shop = await scenario.startShop();
  const gateway = await scenario.startGateway();
  const buyers = await scenario.buyers(shop.url, 4);
  const load = placePurchases([shop.url], purchaseRequests(buyers, PURCHASES), {
    concurrency: 8,
    // Spread over 30 s: well past the drain budget (15 s), so drains after the fault must be
    // scheduled anew, not just the one that was running.
    perSecond: PURCHASES / 30,
  });
  const s = scenario;
  await waitFor('the drain to be booking', async () => (await ledgerLines(s)) > 0, {
    timeoutMs: 60_000,
  });
  await inject(s);
  // Purchases keep coming: the first ledger line booked after the fault shows the drain back.
  const faultAt = Date.now();
  const linesAtFault = await ledgerLines(s);
  await waitFor('booking to resume', async () => (await ledgerLines(s)) > linesAtFault, {
    timeoutMs: 60_000,
  });
  const resumedAfterMs = Date.now() - faultAt;
  const attempts = await load;
  expect(tally(attempts)).toEqual({ '201': PURCHASES });

  await waitUntilSettled(scenario, 120_000);
  const check = await expectZeroDrift(scenario);
  expect(check.purchases).toBe(PURCHASES);
  // The drain is running again, and readiness says so.
  await waitFor(
    'the gateway to be ready again',
    async () => (await fetch(`${gateway.url}/ready`)).status === 200,
    { timeoutMs: 30_000 },
  );
  expect(await metric(gateway.url, 'drain_last_success_age_seconds')).toBeLessThan(10);
  // Within seconds: the suite checks the schedule every second (the default is every 10 s).
  expect(resumedAfterMs).toBeLessThan(15_000);

  recordFigures(id, {
    scenario: `Redis ${fault} while draining`,
    faults_injected: fault,
    purchases_made: PURCHASES,
    accepted: attempts.filter((a) => a.status === 201).length,
    ...outcomeOf(check),
    duration_s: Math.round((Date.now() - started) / 1000),
    booking_resumed_after_ms: resumedAfterMs,
  });
}

test('when Redis is flushed while draining, then the drain schedule comes back and every purchase reaches the ledger once', async () => {
  await drainThrough('redis-flush', 'FLUSHALL', (s) => s.redis.flushAll());
});

test(`when Redis is restarted (down ${REDIS_DOWN_S} s, empty after) while draining, then the drain schedule comes back and every purchase reaches the ledger once`, async () => {
  await drainThrough('redis-restart', `restart, down ${REDIS_DOWN_S} s`, async (s) => {
    await s.redis.down();
    await sleep(REDIS_DOWN_S * 1000);
    await s.redis.up();
  });
});
