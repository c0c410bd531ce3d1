import { outcomeOf, recordFigures } from './support/figures';
import { placePurchases, purchaseRequests, retryUntilPlaced, tally } from './support/load';
import { expectZeroDrift, waitUntilSettled } from './support/reconciliation';
import { sleep } from '../test-support/eventually';
import { Scenario, setting } from './support/scenario';

const DOWN_S = setting('FAULT_PG_DOWN_S', 10);
const PER_SECOND = setting('FAULT_PG_PURCHASES_PER_S', 30);
const BEFORE_S = 5;
const AFTER_S = 10;
/** What "fast" means for a client while the database is down. */
const MAX_LATENCY_MS = 5000;

let scenario: Scenario;
beforeAll(async () => {
  scenario = await Scenario.open('pg-restart');
});
afterAll(() => scenario?.close());

test(`when PostgreSQL is down for ${DOWN_S} s under purchase load, then clients get fast 503 problem+json meanwhile, everything recovers and nothing is half-written`, async () => {
  const started = Date.now();
  const shop = await scenario.startShop();
  await scenario.startGateway();
  const buyers = await scenario.buyers(shop.url, 4);
  const count = PER_SECOND * (BEFORE_S + DOWN_S + AFTER_S);
  const load = placePurchases([shop.url], purchaseRequests(buyers, count), {
    concurrency: 8,
    perSecond: PER_SECOND,
  });

  // The suite's own cluster (both services' databases): a fast shutdown cuts every session.
  await sleep(BEFORE_S * 1000);
  const downAt = Date.now();
  await scenario.postgres.stop();
  await sleep(DOWN_S * 1000);
  await scenario.postgres.start();
  const upAt = Date.now();
  const attempts = await load;

  const duringOutage = attempts.filter((a) => a.startedAt >= downAt && a.startedAt < upAt);
  const refused = attempts.filter((a) => a.status !== 201);
  // Every request was answered, in time; refusals are 503 problem+json with a Retry-After,
  // and carry no stack trace.
  expect(attempts.filter((a) => a.status === 0)).toEqual([]);
  expect(Math.max(...attempts.map((a) => a.ms))).toBeLessThanOrEqual(MAX_LATENCY_MS);
  expect(new Set(refused.map((a) => a.status))).toEqual(new Set(refused.length ? [503] : []));
  for (const a of refused) {
    expect(a.contentType).toContain('application/problem+json');
    expect(JSON.parse(a.body)).toMatchObject({ status: 503 });
    expect(a.body).not.toMatch(/\s+at\s.+:\d+:\d+|Error:/);
    expect(Number(a.retryAfter)).toBeGreaterThan(0);
  }
  expect(refused.length).toBeGreaterThan(0); // the outage was felt

  // The clients retry with their Idempotency-Keys: each purchase exists once.
  const { retried, attempts: final } = await retryUntilPlaced(shop.url, attempts, 60_000);
  expect(tally(final)).toEqual({ '201': count });
  await waitUntilSettled(scenario, 240_000);
  const check = await expectZeroDrift(scenario);
  expect(check.purchases).toBe(count);

  recordFigures('postgres-restart', {
    scenario: 'PostgreSQL (both databases) restarted under purchase load',
    faults_injected: `PostgreSQL down ${Math.round((upAt - downAt) / 1000)} s (fast shutdown)`,
    purchases_made: count,
    accepted: final.filter((a) => a.status === 201).length,
    ...outcomeOf(check),
    duration_s: Math.round((Date.now() - started) / 1000),
    max_latency_during_fault_ms: Math.max(0, ...duringOutage.map((a) => a.ms)),
    refused_503: refused.length,
    retried_with_same_key: retried,
    half_written: check.halfWritten,
  });
});
