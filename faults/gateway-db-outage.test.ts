import { OutageProxy } from '../test-support/outage-proxy';
import { outcomeOf, recordFigures } from './support/figures';
import { placePurchases, purchaseRequests, tally } from './support/load';
import { expectZeroDrift, waitUntilSettled } from './support/reconciliation';
import { sleep } from '../test-support/eventually';
import { metric, Scenario, setting } from './support/scenario';

const OUTAGE_S = setting('FAULT_GATEWAY_DB_OUTAGE_S', 600);
const PER_SECOND = setting('FAULT_GATEWAY_DB_PURCHASES_PER_S', 2);
const BEFORE_S = 5;
const AFTER_S = 10;

let scenario: Scenario;
let proxy: OutageProxy;
beforeAll(async () => {
  scenario = await Scenario.open('gateway-db');
  // Only the gateway reaches PostgreSQL through the proxy: cutting it is the gateway's
  // database gone (refused connections), while ecommerce's stays up.
  proxy = new OutageProxy(new URL(scenario.postgres.url));
  await proxy.up();
});
afterAll(async () => {
  await scenario?.close();
  await proxy?.down();
});

test(`when the gateway's PostgreSQL is down for ${OUTAGE_S} s under load, then nothing reaches the DLQ and the ledger is exact afterwards`, async () => {
  const started = Date.now();
  const shop = await scenario.startShop();
  const paymentsUrl = new URL(scenario.paymentsDbUrl);
  paymentsUrl.port = String(proxy.port);
  const gateway = await scenario.startGateway({ DATABASE_URL: paymentsUrl.toString() });
  const buyers = await scenario.buyers(shop.url, 4);
  const count = PER_SECOND * (BEFORE_S + OUTAGE_S + AFTER_S);
  const load = placePurchases([shop.url], purchaseRequests(buyers, count), {
    concurrency: 4,
    perSecond: PER_SECOND,
  });

  await sleep(BEFORE_S * 1000);
  const downAt = Date.now();
  await proxy.down();
  await sleep(Math.min(10, OUTAGE_S) * 1000);
  const readyDuringOutage = (await fetch(`${gateway.url}/ready`)).status;
  await sleep(Math.max(0, downAt + OUTAGE_S * 1000 - Date.now()));
  const dlqAtEndOfOutage = await scenario.depth('dlq');
  await proxy.up();
  const upAt = Date.now();
  const attempts = await load;

  expect(readyDuringOutage).toBe(503);
  expect(tally(attempts)).toEqual({ '201': count }); // the shop never depended on it
  await waitUntilSettled(scenario, 300_000);
  expect(dlqAtEndOfOutage).toBe(0);
  expect(await scenario.depth('dlq')).toBe(0);
  expect(await metric(gateway.url, 'sqs_dlq_depth')).toBe(0);
  const check = await expectZeroDrift(scenario);
  expect(check.purchases).toBe(count);

  recordFigures('gateway-db-outage', {
    scenario: "payment gateway's PostgreSQL unreachable under load",
    faults_injected: `gateway database refused ${Math.round((upAt - downAt) / 1000)} s`,
    purchases_made: count,
    accepted: attempts.filter((a) => a.status === 201).length,
    ...outcomeOf(check),
    duration_s: Math.round((Date.now() - started) / 1000),
    dead_lettered: dlqAtEndOfOutage,
  });
});
