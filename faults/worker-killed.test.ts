import { SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { stopService } from '../test-support/service-process';
import { outcomeOf, recordFigures } from './support/figures';
import { placePurchases, purchaseRequests, tally } from './support/load';
import { expectZeroDrift, ledgerLines, waitUntilSettled } from './support/reconciliation';
import { sleep, waitFor } from '../test-support/eventually';
import { metric, Scenario, setting } from './support/scenario';
import { SqsFaultProxy } from './support/sqs-fault-proxy';

const PURCHASES = setting('FAULT_KILL_PURCHASES', 200);
/** Redelivery waits for the visibility timeout: 10 s here instead of 60 s keeps the suite short. */
const VISIBILITY_TIMEOUT_S = 10;

let scenario: Scenario;
let proxy: SqsFaultProxy;
beforeAll(async () => {
  scenario = await Scenario.open('kill');
  proxy = new SqsFaultProxy(new URL(scenario.emulator.url));
  await proxy.listen();
});
afterAll(async () => {
  await proxy?.close();
  await scenario?.close();
});

test('when the drain worker is killed with SIGKILL between the ledger commit and the delete, then the redelivered messages book nothing twice', async () => {
  const started = Date.now();
  await scenario.sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl: scenario.messaging.queueUrl,
      Attributes: { VisibilityTimeout: String(VISIBILITY_TIMEOUT_S) },
    }),
  );
  const shop = await scenario.startShop();
  // Single-seller purchases: one ledger line per message, so duplicates can be counted exactly.
  const buyers = await scenario.buyers(shop.url, 2);
  const attempts = await placePurchases(
    [shop.url],
    purchaseRequests(buyers, PURCHASES, { singleSeller: true }),
    { concurrency: 8 },
  );
  expect(tally(attempts)).toEqual({ '201': PURCHASES });
  await waitFor(
    'every purchase on the queue',
    async () => (await scenario.depth('queue')) === PURCHASES,
    { timeoutMs: 60_000 },
  );

  // The worker reaches SQS through the proxy, which holds every DeleteMessageBatch: nothing it
  // books is deleted. It is killed once its first delete is held (its loops may have booked
  // more batches by then, or be about to delete them).
  proxy.hold('DeleteMessageBatch');
  const held = proxy.nextHeld();
  const doomed = await scenario.startGateway(
    { RUN_MODE: 'worker', AWS_ENDPOINT_URL: proxy.url },
    { readyPath: '/health' },
  );
  const heldEntries = (await held).Entries?.length ?? 0;
  expect(await stopService(doomed, 'SIGKILL')).toBeNull();
  proxy.dropHeld(); // the deletes never reach SQS
  // A COMMIT the worker sent just before it died still completes: let it, then count. Every
  // line booked belongs to a message that was not deleted (one line each).
  await sleep(1000);
  const bookedUndeleted = await ledgerLines(scenario);

  // Those batches were committed but not deleted: after the visibility timeout they come again.
  expect(heldEntries).toBeGreaterThan(0);
  expect(bookedUndeleted).toBeGreaterThanOrEqual(heldEntries);
  const fresh = await scenario.startGateway({ RUN_MODE: 'worker' }, { readyPath: '/health' });
  await waitUntilSettled(scenario, 180_000);
  const duplicatesSkipped = await metric(fresh.url, 'ledger_duplicates_skipped_total');
  expect(duplicatesSkipped).toBe(bookedUndeleted);
  const check = await expectZeroDrift(scenario);
  expect(check.purchases).toBe(PURCHASES);

  recordFigures('worker-killed', {
    scenario: 'drain worker SIGKILLed between ledger commit and delete',
    faults_injected: `1 SIGKILL with ${bookedUndeleted} booked messages undeleted`,
    purchases_made: PURCHASES,
    accepted: attempts.filter((a) => a.status === 201).length,
    ...outcomeOf(check),
    duration_s: Math.round((Date.now() - started) / 1000),
    redelivered_duplicates_skipped: duplicatesSkipped,
  });
});
