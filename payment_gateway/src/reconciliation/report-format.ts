import { DRIFT_KINDS } from './reconciliation';
import type { LineFinding, QueueFigures, ReconciliationReport } from './reconciliation';

/** What was reconciled: purchase dates (`to` inclusive, as given) and the grace period given. */
export interface ReportScope {
  from: string | null;
  to: string | null;
  graceSeconds: number;
  generatedAt: Date;
}

const lineJson = (line: LineFinding) => ({
  purchase_id: line.purchaseId,
  seller_id: line.sellerId,
  event_type: line.eventType,
  day: line.day,
  expected_amount: line.expectedAmount,
  ledger_amount: line.ledgerAmount,
});

/** The same keys whether the queue was read or not (null: not read). */
const queueJson = (queue: QueueFigures) =>
  queue.checked
    ? {
        checked: true,
        error: null,
        messages: queue.messages,
        visible: queue.visible,
        not_visible: queue.notVisible,
        delayed: queue.delayed,
        dead_lettered: queue.deadLettered,
        applied_grace_seconds: queue.lagGraceSeconds,
      }
    : {
        checked: false,
        error: queue.error,
        messages: null,
        visible: null,
        not_visible: null,
        delayed: null,
        dead_lettered: null,
        applied_grace_seconds: queue.graceSeconds,
      };

/** The `--json` contract (snake_case, amounts in minor units); scripts rely on its shape. */
export function reportJson(report: ReconciliationReport, scope: ReportScope) {
  const { totals } = report;
  return {
    ok: report.ok,
    generated_at: scope.generatedAt.toISOString(),
    window: { from: scope.from, to: scope.to },
    grace_seconds: scope.graceSeconds,
    queue: queueJson(report.queue),
    list_limit: report.listLimit,
    totals: {
      purchases: totals.purchases,
      sales_lines: totals.salesLines,
      ledger_lines: totals.ledgerLines,
      sales_net: totals.salesNet,
      ledger_net: totals.ledgerNet,
      matched: totals.matched,
      in_flight: totals.inFlight,
      drift: totals.drift,
      missing_in_ledger: totals.missing_in_ledger,
      amount_mismatch: totals.amount_mismatch,
      ledger_without_sale: totals.ledger_without_sale,
      dead_lettered: totals.deadLettered,
      not_in_queue: totals.notInQueue,
      differing_seller_days: totals.differingSellerDays,
    },
    in_flight: report.inFlight.map((line) => ({
      ...lineJson(line),
      state: line.state,
      since: line.since.toISOString(),
    })),
    drift: {
      missing_in_ledger: report.drift.missing_in_ledger.map(lineJson),
      amount_mismatch: report.drift.amount_mismatch.map(lineJson),
      ledger_without_sale: report.drift.ledger_without_sale.map(lineJson),
    },
    by_seller_day: report.bySellerDay.map((row) => ({
      seller_id: row.sellerId,
      day: row.day,
      sales_net: row.salesNet,
      ledger_net: row.ledgerNet,
      difference: row.salesNet - row.ledgerNet,
      in_flight_net: row.inFlightNet,
      drift_lines: row.driftLines,
    })),
  };
}

const TITLES = {
  missing_in_ledger: 'Missing in the ledger (sale, no ledger line, its event no longer in flight)',
  amount_mismatch: 'Amounts that differ',
  ledger_without_sale: 'Ledger lines with no sale',
} as const;

const amount = (value: number | null) => (value === null ? '-' : String(value));

/** Columns padded to their widest cell; amounts (`numeric` column indexes) aligned right. */
function table(header: string[], rows: string[][], numeric: number[]): string[] {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => row[i]!.length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (numeric.includes(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [header, ...rows].map((cells) => `  ${line(cells)}`);
}

function findings(title: string, count: number, lines: LineFinding[], limit: number): string[] {
  if (count === 0) return [];
  const shown = count > lines.length ? ` (first ${limit} of ${count})` : ` (${count})`;
  return [
    '',
    `${title}${shown}:`,
    ...table(
      ['day', 'seller', 'purchase', 'event', 'expected', 'ledger'],
      lines.map((l) => [
        l.day,
        l.sellerId,
        l.purchaseId,
        l.eventType,
        amount(l.expectedAmount),
        amount(l.ledgerAmount),
      ]),
      [4, 5],
    ),
  ];
}

/** The human-readable report `make reconcile` prints. */
export function reportText(report: ReconciliationReport, scope: ReportScope): string {
  const { totals } = report;
  const window =
    scope.from && scope.from === scope.to
      ? `purchases of ${scope.from}`
      : scope.from || scope.to
        ? `purchases from ${scope.from ?? 'the start'} to ${scope.to ?? 'today'}`
        : 'all purchases';
  const { queue } = report;
  const out = [
    `Reconciliation of sales (ecommerce) with the ledger (payments): ${window}, ` +
      `at ${scope.generatedAt.toISOString()}`,
    `  queue          ${queueText(queue)}`,
    `  purchases      ${totals.purchases}`,
    `  sales net      ${totals.salesNet}  (${totals.salesLines} seller lines, minor units)`,
    `  ledger net     ${totals.ledgerNet}  (${totals.ledgerLines} ledger lines)`,
    `  matched        ${totals.matched}`,
    `  in flight      ${totals.inFlight}`,
    `  drift          ${totals.drift}  (` +
      DRIFT_KINDS.map((kind) => `${kind} ${totals[kind]}`).join(', ') +
      ')',
    `  dead letters   ${totals.deadLettered ?? 'unknown (queue not read)'}` +
      (totals.deadLettered ? '  (not booked: `make redrive` once the cause is fixed)' : ''),
  ];
  if (totals.notInQueue > 0) {
    out.push(
      `  not in queue   ${totals.notInQueue}  (events published and not booked beyond all the ` +
        'queue and the dead-letter queue hold: lost, whichever they are)',
    );
  }
  if (totals.inFlight > 0) {
    const shown = totals.inFlight > report.inFlight.length ? `first ${report.listLimit} of ` : '';
    out.push(
      '',
      `In flight, not drift (${shown}${totals.inFlight}):`,
      ...table(
        ['day', 'seller', 'purchase', 'event', 'amount', 'state', 'since'],
        report.inFlight.map((l) => [
          l.day,
          l.sellerId,
          l.purchaseId,
          l.eventType,
          amount(l.expectedAmount),
          l.state,
          l.since.toISOString(),
        ]),
        [4],
      ),
    );
  }
  for (const kind of DRIFT_KINDS) {
    out.push(...findings(TITLES[kind], totals[kind], report.drift[kind], report.listLimit));
  }
  if (report.bySellerDay.length > 0) {
    out.push(
      '',
      `Sellers and days that differ (${report.bySellerDay.length < totals.differingSellerDays ? `first ${report.listLimit} of ` : ''}${totals.differingSellerDays}):`,
      ...table(
        ['day', 'seller', 'sales net', 'ledger net', 'difference', 'in flight', 'drift lines'],
        report.bySellerDay.map((row) => [
          row.day,
          row.sellerId,
          String(row.salesNet),
          String(row.ledgerNet),
          String(row.salesNet - row.ledgerNet),
          String(row.inFlightNet),
          String(row.driftLines),
        ]),
        [2, 3, 4, 5, 6],
      ),
    );
  }
  out.push('', verdict(report));
  return `${out.join('\n')}\n`;
}

function queueText(queue: QueueFigures): string {
  if (!queue.checked) {
    return (
      `NOT CHECKED (${queue.error}); in flight judged by the grace period instead: ` +
      `events published in the last ${queue.graceSeconds} s`
    );
  }
  return (
    `${queue.messages} message(s) (${queue.visible} waiting, ${queue.notVisible} received, ` +
    `${queue.delayed} delayed), ${queue.deadLettered} dead-lettered; ` +
    `grace for its lagging counts ${queue.lagGraceSeconds} s`
  );
}

function verdict(report: ReconciliationReport): string {
  const { totals } = report;
  if (report.ok) {
    const caveats = [
      totals.inFlight > 0 ? 'apart from events in flight' : '',
      report.queue.checked ? '' : 'queue not checked',
    ].filter(Boolean);
    return `OK: the ledger equals the sales${caveats.length ? ` (${caveats.join('; ')})` : ''}.`;
  }
  const findings = [
    totals.drift > 0 ? `${totals.drift} line(s) differ` : '',
    totals.deadLettered ? `${totals.deadLettered} message(s) in the dead-letter queue` : '',
    totals.notInQueue > 0 ? `${totals.notInQueue} event(s) neither booked nor queued` : '',
  ].filter(Boolean);
  return `DRIFT: ${findings.join('; ')}.`;
}
