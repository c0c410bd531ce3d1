import { stopService } from '../test-support/service-process';
import { outcomeOf, recordFigures } from './support/figures';
import { placePurchases, purchaseRequests, retryUntilPlaced, tally } from './support/load';
import { expectZeroDrift, waitUntilSettled } from './support/reconciliation';
import { sleep } from '../test-support/eventually';
import { Scenario, setting } from './support/scenario';

const PER_SECOND = setting('FAULT_SIGTERM_PURCHASES_PER_S', 40);
/** SIGTERM comes 5 s in; the clients keep going 25 s more, past the 15 s shutdown deadline. */
const LOAD_S = 30;
const SIGTERM_AFTER_S = 5;
/** The services' default SHUTDOWN_TIMEOUT_MS: a stop must finish well before it. */
const SHUTDOWN_DEADLINE_MS = 15_000;
/** Started together just before SIGTERM: more than the shop's 10 database connections serve at once. */
const BURST = 64;
/** After the burst starts, before SIGTERM. */
const BURST_LEAD_MS = 50;

let scenario: Scenario;
beforeAll(async () => {
  scenario = await Scenario.open('sigterm');
});
afterAll(() => scenario?.close());

test('when every process gets SIGTERM under load, then in-flight requests finish, each exits 0, and nothing is lost', async () => {
  const started = Date.now();
  const env = { LOG_LEVEL: 'info' };
  const shop = await scenario.startShop(env);
  const processes = [
    shop,
    await scenario.startGateway({ ...env, RUN_MODE: 'api' }),
    await scenario.startGateway({ ...env, RUN_MODE: 'worker' }),
  ];
  const buyers = await scenario.buyers(shop.url, 4);
  const paced = PER_SECOND * LOAD_S;
  const count = paced + BURST;
  const requests = purchaseRequests(buyers, count);
  const load = placePurchases([shop.url], requests.slice(0, paced), {
    concurrency: 8,
    perSecond: PER_SECOND,
  });

  await sleep(SIGTERM_AFTER_S * 1000);
  // A burst, so that requests are surely in flight (queued for a connection) at SIGTERM.
  const burst = placePurchases([shop.url], requests.slice(paced), { concurrency: BURST });
  await sleep(BURST_LEAD_MS);
  const sigtermAt = Date.now();
  const exits = await Promise.all(
    processes.map(async (p) => ({
      code: await stopService(p, 'SIGTERM'),
      ms: Date.now() - sigtermAt,
    })),
  );
  const exitCodes = exits.map((e) => e.code);
  const stoppedMs = Math.max(...exits.map((e) => e.ms));
  const attempts = [...(await load), ...(await burst)];

  expect(exitCodes).toEqual([0, 0, 0]);
  // Whatever the shop answered, it answered fully: no 5xx from a half-closed service.
  expect(attempts.filter((a) => a.status >= 500)).toEqual([]);
  // Requests answered across the SIGTERM were in flight at it: each finished as a purchase.
  const inFlight = attempts.filter(
    (a) => a.status !== 0 && a.startedAt < sigtermAt && a.startedAt + a.ms > sigtermAt,
  );
  expect(inFlight.filter((a) => a.status !== 201)).toEqual([]);

  // Back up; the clients whose requests were refused retry with their Idempotency-Keys.
  const restartedAt = Date.now();
  const restarted = await scenario.startShop();
  await scenario.startGateway();
  const { retried, attempts: final } = await retryUntilPlaced(restarted.url, attempts, 60_000);
  expect(tally(final)).toEqual({ '201': count });
  // A request cut after the shop had committed it (its answer lost) would show on retry as a
  // purchase older than the restart: none may.
  const cut = final.filter(
    (a, i) =>
      attempts[i]!.status === 0 &&
      Date.parse((JSON.parse(a.body) as { created_at: string }).created_at) < restartedAt,
  );
  expect(cut).toEqual([]);
  await waitUntilSettled(scenario, 180_000);
  const check = await expectZeroDrift(scenario);
  expect(check.purchases).toBe(count);

  recordFigures('graceful-shutdown', {
    scenario: 'SIGTERM to every process (ecommerce, gateway API, gateway worker) under load',
    faults_injected: `SIGTERM x${processes.length}, all stopped in ${stoppedMs} ms`,
    purchases_made: count,
    accepted: final.filter((a) => a.status === 201).length,
    ...outcomeOf(check),
    duration_s: Math.round((Date.now() - started) / 1000),
    stop_ms_shop_api_worker: exits.map((e) => e.ms),
    in_flight_at_sigterm_answered_201: inFlight.length,
    refused_or_reset_unprocessed: attempts.filter((a) => a.status !== 201).length,
    cut_after_commit: cut.length,
    retried_with_same_key: retried,
  });
  // Last, so the figures above are kept either way. Stopping means taking no new requests,
  // also on the clients' open keep-alive connections, and finishing before the deadline (which
  // exits without the "stopped" line, abandoning what is in flight).
  expect(stoppedMs).toBeLessThan(SHUTDOWN_DEADLINE_MS);
  // Else "every request in flight at SIGTERM finished as a purchase" checked nothing.
  expect(inFlight.length).toBeGreaterThan(0);
  for (const p of processes) expect(p.output.join('')).toContain('"msg":"stopped"');
});
