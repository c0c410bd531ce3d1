import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { stopService } from '../test-support/service-process';
import { outcomeOf, recordFigures } from './support/figures';
import { placePurchases, purchaseRequests, tally } from './support/load';
import { expectZeroDrift, runReconciler, waitUntilSettled } from './support/reconciliation';
import { waitFor } from '../test-support/eventually';
import { metric, Scenario, setting } from './support/scenario';

const PURCHASES = setting('FAULT_POISON_PURCHASES', 200);
const ROOT = path.resolve(__dirname, '..');

let scenario: Scenario;
beforeAll(async () => {
  scenario = await Scenario.open('poison');
});
afterAll(() => scenario?.close());

test('when a poison message is ahead of valid ones, then it reaches the DLQ after 5 receives, the valid ones are booked, /metrics shows the DLQ depth and make redrive brings it back', async () => {
  const started = Date.now();
  const shop = await scenario.startShop();
  const gateway = await scenario.startGateway();
  await scenario.sqs.send(
    new SendMessageCommand({
      QueueUrl: scenario.messaging.queueUrl,
      MessageBody: '{"event_type":"order_placed","this is":"not a purchase event"}',
      MessageAttributes: { event_type: { DataType: 'String', StringValue: 'order_placed' } },
    }),
  );
  const buyers = await scenario.buyers(shop.url, 2);
  const attempts = await placePurchases([shop.url], purchaseRequests(buyers, PURCHASES), {
    concurrency: 8,
  });
  expect(tally(attempts)).toEqual({ '201': PURCHASES });

  await waitFor(
    'the DLQ depth in /metrics',
    async () => (await metric(gateway.url, 'sqs_dlq_depth')) === 1,
    { timeoutMs: 120_000 },
  );
  expect(await metric(gateway.url, 'sqs_invalid_messages_total')).toBe(5);
  await waitUntilSettled(scenario, 120_000);
  // Every sale booked, but a dead letter is drift to the reconciler: it cannot tell a poison
  // message from someone's sale.
  const deadLettered = await runReconciler(scenario);
  expect(deadLettered.report).toMatchObject({
    ok: false,
    queue: { checked: true, messages: 0, dead_lettered: 1 },
    totals: { drift: 0 },
  });
  expect(deadLettered.exitCode).toBe(1);

  // Stopped first, so the message brought back stays on the queue to be seen there.
  expect(await stopService(gateway)).toBe(0);
  const { stdout } = await promisify(execFile)('make', ['-s', 'redrive', 'MODE=local'], {
    cwd: ROOT,
    env: {
      ...process.env,
      AWS_ENDPOINT_URL: scenario.emulator.url,
      AWS_REGION: 'us-east-1',
      SQS_QUEUE_URL: scenario.messaging.queueUrl,
    },
  });
  expect(stdout).toContain('moved 1 message(s)');
  expect(await scenario.depth('dlq')).toBe(0);
  expect(await scenario.depth('queue')).toBe(1);
  // The scenario ends as every one does: zero drift (the poison message waits on the queue).
  const check = await expectZeroDrift(scenario);
  expect(check.purchases).toBe(PURCHASES);

  recordFigures('poison-message', {
    scenario: 'poison message ahead of valid ones; DLQ, then make redrive',
    faults_injected: '1 invalid message (received 5 times, dead-lettered, redriven)',
    purchases_made: PURCHASES,
    accepted: attempts.filter((a) => a.status === 201).length,
    ...outcomeOf(check),
    duration_s: Math.round((Date.now() - started) / 1000),
  });
});
