import { outcomeOf, recordFigures } from './support/figures';
import { placePurchases, purchaseRequests, tally } from './support/load';
import { expectZeroDrift, ledgerLines, waitUntilSettled } from './support/reconciliation';
import { sleep } from '../test-support/eventually';
import { Scenario, setting } from './support/scenario';

const PURCHASES = setting('FAULT_PURCHASES', 1000);
const OUTAGE_S = setting('FAULT_EMULATOR_OUTAGE_S', 30);

let scenario: Scenario;
beforeAll(async () => {
  scenario = await Scenario.open('emulator');
});
afterAll(() => scenario?.close());

test(`when the SNS/SQS emulator is stopped for ${OUTAGE_S} s while ${PURCHASES} purchases are made, then all are accepted and reach the ledger after it returns`, async () => {
  const shop = await scenario.startShop();
  await scenario.startGateway();
  const buyers = await scenario.buyers(shop.url, 4);
  const requests = purchaseRequests(buyers, PURCHASES);

  // SIGSTOP freezes the emulator with its queues in memory, as real SQS keeps messages
  // through an outage: connections hang instead of being refused, the harder case for clients.
  const started = Date.now();
  scenario.emulator.process.kill('SIGSTOP');
  let attempts;
  let ledgerDuringOutage: number;
  try {
    attempts = await placePurchases([shop.url], requests, {
      concurrency: 8,
      perSecond: PURCHASES / (OUTAGE_S * 0.8), // spread over the outage
    });
    ledgerDuringOutage = await ledgerLines(scenario);
    await sleep(Math.max(0, started + OUTAGE_S * 1000 - Date.now()));
  } finally {
    scenario.emulator.process.kill('SIGCONT');
  }
  const outageMs = Date.now() - started;

  expect(tally(attempts)).toEqual({ '201': PURCHASES });
  expect(ledgerDuringOutage).toBe(0); // the outage was real: nothing got through meanwhile
  await waitUntilSettled(scenario, 300_000);
  const check = await expectZeroDrift(scenario);
  expect(check.purchases).toBe(PURCHASES);

  recordFigures('emulator-outage', {
    scenario: 'SNS/SQS emulator stopped (SIGSTOP) while purchasing',
    faults_injected: `emulator frozen ${Math.round(outageMs / 1000)} s`,
    purchases_made: PURCHASES,
    accepted: attempts.filter((a) => a.status === 201).length,
    ...outcomeOf(check),
    duration_s: Math.round((Date.now() - started) / 1000),
    max_latency_during_fault_ms: Math.max(...attempts.map((a) => a.ms)),
  });
});
