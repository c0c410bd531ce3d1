import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { QueryTypes } from 'sequelize';
import type { Sequelize } from 'sequelize';
import type { Scenario } from './scenario';
import { eventually } from '../../test-support/eventually';

const RECONCILER = path.resolve(__dirname, '../../payment_gateway/dist/cli/reconcile.js');

const rows = <T extends object>(sequelize: Sequelize, sql: string) =>
  sequelize.query<T>(sql, { type: QueryTypes.SELECT });

/** The ledger's line count. */
export async function ledgerLines(scenario: Scenario): Promise<number> {
  const [row] = await rows<{ n: string }>(
    scenario.payments,
    'SELECT count(*) AS n FROM ledger_entries',
  );
  return Number(row!.n);
}

/**
 * Waits until the pipeline is at rest: no outbox event left unpublished, the queue empty
 * (nothing visible or in flight), and the ledger's line count unchanged across two polls.
 */
export async function waitUntilSettled(scenario: Scenario, timeoutMs: number): Promise<void> {
  let previousLines = -1;
  const atRest = ([pending, depth, lines]: readonly [number, number, number, string?]) => {
    const still = lines === previousLines;
    previousLines = lines;
    return pending === 0 && depth === 0 && still;
  };
  let settled = false;
  const [pending, depth, lines] = await eventually(
    () =>
      Promise.all([
        rows<{ n: string }>(
          scenario.ecommerce,
          'SELECT count(*) AS n FROM outbox_events WHERE published_at IS NULL',
        ).then(([r]) => Number(r!.n)),
        scenario.depth('queue'),
        ledgerLines(scenario),
      ]).catch((error: unknown) => [NaN, NaN, NaN, String(error)] as const),
    (state) => (settled = atRest(state)),
    { timeoutMs, intervalMs: 1000 },
  );
  if (!settled) {
    throw new Error(
      `not settled after ${timeoutMs} ms: outbox pending ${pending}, queue depth ${depth}, ledger lines ${lines}`,
    );
  }
}

export interface LedgerCheck {
  purchases: number;
  cancelled: number;
  /** Ledger lines the sales call for: one per seller of each purchase, and of each cancel. */
  expectedLines: number;
  ledgerLines: number;
  /** Expected lines absent from the ledger. */
  lost: number;
  /** Lines booked more than once, or booked for no sale. */
  duplicated: number;
  amountMismatches: number;
  /** Sum over sellers of |sales net - ledger net|, minor units. */
  drift: number;
  /** Purchases without their outbox events, or outbox events without their purchase. */
  halfWritten: number;
}

/**
 * The suite's own oracle, independent of the reconciler: every (purchase, seller, event type)
 * line the ecommerce sales call for, against the ledger's lines, and each seller's net.
 */
export async function checkLedger(scenario: Scenario): Promise<LedgerCheck> {
  const sales = await rows<{
    purchase_id: string;
    seller_id: string;
    status: string;
    amount: string;
  }>(
    scenario.ecommerce,
    `SELECT p.id AS purchase_id, i.seller_id, p.status, sum(i.subtotal) AS amount
     FROM purchases p JOIN purchase_items i ON i.purchase_id = p.id
     GROUP BY p.id, i.seller_id, p.status`,
  );
  const [counts] = await rows<{ purchases: string; cancelled: string; half_written: string }>(
    scenario.ecommerce,
    `SELECT
       (SELECT count(*) FROM purchases) AS purchases,
       (SELECT count(*) FROM purchases WHERE status = 'cancelled') AS cancelled,
       (SELECT count(*) FROM purchases p WHERE NOT EXISTS (SELECT 1 FROM outbox_events o
          WHERE o.purchase_id = p.id AND o.event_type = 'order_placed'))
       + (SELECT count(*) FROM purchases p WHERE p.status = 'cancelled' AND NOT EXISTS (
          SELECT 1 FROM outbox_events o WHERE o.purchase_id = p.id AND o.event_type = 'order_cancelled'))
       + (SELECT count(*) FROM outbox_events o WHERE NOT EXISTS (
          SELECT 1 FROM purchases p WHERE p.id = o.purchase_id))
       + (SELECT count(*) FROM purchases p WHERE NOT EXISTS (
          SELECT 1 FROM purchase_items i WHERE i.purchase_id = p.id)) AS half_written`,
  );
  const ledger = await rows<{
    purchase_id: string;
    seller_id: string;
    event_type: string;
    amount: string;
  }>(scenario.payments, 'SELECT purchase_id, seller_id, event_type, amount FROM ledger_entries');

  const expected = new Map<string, number>();
  const salesNet = new Map<string, number>();
  for (const sale of sales) {
    const amount = Number(sale.amount);
    expected.set(`${sale.purchase_id}/${sale.seller_id}/order_placed`, amount);
    if (sale.status === 'cancelled') {
      expected.set(`${sale.purchase_id}/${sale.seller_id}/order_cancelled`, -amount);
    }
    const net = sale.status === 'cancelled' ? 0 : amount;
    salesNet.set(sale.seller_id, (salesNet.get(sale.seller_id) ?? 0) + net);
  }
  const seen = new Set<string>();
  const ledgerNet = new Map<string, number>();
  let duplicated = 0;
  let amountMismatches = 0;
  for (const line of ledger) {
    const key = `${line.purchase_id}/${line.seller_id}/${line.event_type}`;
    const amount = Number(line.amount);
    if (seen.has(key) || !expected.has(key)) duplicated++;
    else if (expected.get(key) !== amount) amountMismatches++;
    seen.add(key);
    ledgerNet.set(line.seller_id, (ledgerNet.get(line.seller_id) ?? 0) + amount);
  }
  let drift = 0;
  for (const seller of new Set([...salesNet.keys(), ...ledgerNet.keys()])) {
    drift += Math.abs((salesNet.get(seller) ?? 0) - (ledgerNet.get(seller) ?? 0));
  }
  return {
    purchases: Number(counts!.purchases),
    cancelled: Number(counts!.cancelled),
    expectedLines: expected.size,
    ledgerLines: ledger.length,
    lost: [...expected.keys()].filter((key) => !seen.has(key)).length,
    duplicated,
    amountMismatches,
    drift,
    halfWritten: Number(counts!.half_written),
  };
}

export interface ReconcilerReport {
  ok: boolean;
  /** What it saw in the scenario's queue and DLQ (unchecked: it fell back to the grace). */
  queue: { checked: boolean; messages: number | null; dead_lettered: number | null };
  drift: Record<string, unknown[]>;
  [field: string]: unknown;
}

/**
 * The project's reconciler (`payment_gateway/dist/cli/reconcile.js --json`) on the scenario's
 * databases and queue: exit 0 means no drift (nothing missing, nothing dead-lettered). The
 * suite's global setup builds it; a checkout without it is an error, never a skipped check.
 */
export async function runReconciler(
  scenario: Scenario,
): Promise<{ exitCode: number; report: ReconcilerReport }> {
  if (!existsSync(RECONCILER)) {
    throw new Error(`${RECONCILER} is not built: run \`npm run build\` (make test-faults does)`);
  }
  const result = await promisify(execFile)(
    process.execPath,
    [RECONCILER, '--json', '--grace-seconds', '0'],
    {
      env: {
        ...process.env,
        DATABASE_URL: scenario.paymentsDbUrl,
        ECOMMERCE_DATABASE_URL: scenario.ecommerceDbUrl,
        // It judges what is in flight by the queue: the scenario's own, not a default one.
        AWS_REGION: 'us-east-1',
        AWS_ENDPOINT_URL: scenario.emulator.url,
        SQS_QUEUE_URL: scenario.messaging.queueUrl,
        LOG_LEVEL: 'warn',
      },
    },
  ).then(
    (out) => ({ exitCode: 0, stdout: out.stdout }),
    (error: { code?: number; stdout?: string }) => ({
      exitCode: error.code ?? -1,
      stdout: error.stdout ?? '',
    }),
  );
  return { exitCode: result.exitCode, report: JSON.parse(result.stdout) as ReconcilerReport };
}

/**
 * Zero drift, proved twice: the suite's oracle (nothing lost, nothing twice, every seller's
 * ledger equal to its sales, nothing half-written) and the project's reconciler, which also
 * counts any message left in the dead-letter queue as drift.
 */
export async function expectZeroDrift(
  scenario: Scenario,
): Promise<LedgerCheck & { reconciler: 'zero drift' }> {
  const check = await checkLedger(scenario);
  expect(check).toMatchObject({
    lost: 0,
    duplicated: 0,
    amountMismatches: 0,
    drift: 0,
    halfWritten: 0,
    ledgerLines: check.expectedLines,
  });
  const reconciler = await runReconciler(scenario);
  expect(reconciler.report).toMatchObject({ ok: true, queue: { checked: true } });
  expect(reconciler.exitCode).toBe(0);
  return { ...check, reconciler: 'zero drift' };
}
