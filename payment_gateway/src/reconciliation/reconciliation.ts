import type { EventType } from '@marketplace/common';
import { messagesIn } from '../messaging/queue-depth';
import type { QueueCounts } from '../messaging/queue-depth';

/**
 * Reconciliation: the ledger lines the sales call for, compared with the ledger lines booked.
 * Pure: the readers bring both sides and what SQS held, this decides what matches, what is
 * still on its way and what is drift. Knows nothing of databases or queues.
 */

/**
 * Why an expected line may legitimately not be in the ledger yet: its event is unpublished;
 * published so recently that the queue's counts may not show it yet; or published and the
 * queue still holds messages (the drain has not caught up, e.g. while the ledger is down).
 */
export type InFlightState = 'unpublished' | 'published_recently' | 'queue_not_drained';

/** The outbox event behind an expected line, by the sales database's clock. */
export type EventStatus =
  { state: 'unpublished'; since: Date } | { state: 'published'; since: Date; ageSeconds: number };

/** One line the sales call for: a seller's share of a purchase, per event (cancellations < 0). */
export interface ExpectedLine {
  purchaseId: string;
  sellerId: string;
  eventType: EventType;
  /** Minor units; negative for `order_cancelled`. */
  amount: number;
  /** UTC day of the purchase, YYYY-MM-DD. */
  day: string;
  /** Unset: no outbox event (never written, or pruned long after it was published). */
  event?: EventStatus | undefined;
}

/**
 * What SQS held, read before the ledger: a message deleted after that read was booked first,
 * so an empty queue then means no event older than the read can still reach the ledger.
 */
export type QueueCheck =
  | {
      checked: true;
      queue: QueueCounts;
      deadLetter: QueueCounts;
      /** How long before the sales were read the queue was (event ages are the sales'). */
      readSecondsBeforeSales: number;
    }
  | { checked: false; error: string };

export interface JudgeOptions {
  queue: QueueCheck;
  /** Queue not read: how long a published event may take to reach the ledger. */
  graceSeconds: number;
  /** Queue read: an event published this recently may not show in its counts yet. */
  lagGraceSeconds: number;
  listLimit?: number;
}

/** One ledger line as booked. */
export interface BookedLine {
  purchaseId: string;
  sellerId: string;
  eventType: string;
  amount: number;
  /** UTC day of the purchase date, YYYY-MM-DD. */
  day: string;
}

export const DRIFT_KINDS = ['missing_in_ledger', 'amount_mismatch', 'ledger_without_sale'] as const;
export type DriftKind = (typeof DRIFT_KINDS)[number];

/** A line worth listing: one purchase, seller and event, with what each side says. */
export interface LineFinding {
  purchaseId: string;
  sellerId: string;
  eventType: string;
  /** UTC day of the purchase. */
  day: string;
  expectedAmount: number | null;
  ledgerAmount: number | null;
}

export interface InFlightFinding extends LineFinding {
  state: InFlightState;
  since: Date;
}

/** The queue figures a report was judged by. */
export type QueueFigures =
  | {
      checked: true;
      /** Every message in the purchases queue: visible, received (not visible) and delayed. */
      messages: number;
      visible: number;
      notVisible: number;
      delayed: number;
      /** Every message in the dead-letter queue. */
      deadLettered: number;
      lagGraceSeconds: number;
    }
  | { checked: false; error: string; graceSeconds: number };

/** Net amounts of one seller on one UTC day of purchase. */
export interface SellerDay {
  sellerId: string;
  day: string;
  salesNet: number;
  ledgerNet: number;
  /** Part of the difference still in flight. */
  inFlightNet: number;
  driftLines: number;
}

export interface ReconciliationReport {
  ok: boolean;
  totals: {
    purchases: number;
    salesLines: number;
    ledgerLines: number;
    salesNet: number;
    ledgerNet: number;
    matched: number;
    inFlight: number;
    drift: number;
    /** Seller-days in `bySellerDay` before the cap. */
    differingSellerDays: number;
    /** Messages in the dead-letter queue: not booked, so drift too (null: queue not read). */
    deadLettered: number | null;
    /**
     * Events published long enough ago and not booked, beyond what the queue and the DLQ
     * together hold: at least this many are in neither, whichever they are.
     */
    notInQueue: number;
  } & Record<DriftKind, number>;
  queue: QueueFigures;
  /** Listed items are capped at `listLimit` per kind; the totals count all of them. */
  listLimit: number;
  inFlight: InFlightFinding[];
  drift: Record<DriftKind, LineFinding[]>;
  /** Seller-days whose sales and ledger nets differ or that hold a drift line. */
  bySellerDay: SellerDay[];
}

export const DEFAULT_LIST_LIMIT = 100;

/** Age of a published event at the time the queue was read (negative: published after it). */
function ageAtQueueRead(event: { ageSeconds: number }, queue: QueueCheck): number {
  return queue.checked ? event.ageSeconds - queue.readSecondsBeforeSales : event.ageSeconds;
}

/**
 * Why an unbooked line is not drift (yet), or undefined when it is. Unpublished: in flight.
 * Published: with the queue read, in flight while the queue holds messages, or when published
 * within the short lag grace (SQS's counts are approximate); once the queue is empty it is
 * drift whatever its age. Without the queue (unreadable), in flight within the grace period.
 */
function inFlightState(
  event: EventStatus | undefined,
  options: JudgeOptions,
): InFlightState | undefined {
  if (!event) return undefined;
  if (event.state === 'unpublished') return 'unpublished';
  const { queue } = options;
  const age = ageAtQueueRead(event, queue);
  if (!queue.checked) return age < options.graceSeconds ? 'published_recently' : undefined;
  if (age < options.lagGraceSeconds) return 'published_recently';
  return messagesIn(queue.queue) > 0 ? 'queue_not_drained' : undefined;
}

function queueFigures(options: JudgeOptions): QueueFigures {
  const { queue } = options;
  if (!queue.checked) {
    return { checked: false, error: queue.error, graceSeconds: options.graceSeconds };
  }
  return {
    checked: true,
    messages: messagesIn(queue.queue),
    ...queue.queue,
    deadLettered: messagesIn(queue.deadLetter),
    lagGraceSeconds: options.lagGraceSeconds,
  };
}

const keyOf = (line: { purchaseId: string; sellerId: string; eventType: string }) =>
  `${line.purchaseId}|${line.sellerId}|${line.eventType}`;

const byDaySellerPurchase = (a: LineFinding, b: LineFinding) =>
  a.day.localeCompare(b.day) ||
  a.sellerId.localeCompare(b.sellerId) ||
  a.purchaseId.localeCompare(b.purchaseId) ||
  a.eventType.localeCompare(b.eventType);

/**
 * Compares per (purchase, seller, event type), in memory with one map: a line in both with the
 * same amount matches; expected only is in flight (see inFlightState) or missing; booked only
 * is a ledger line without a sale. Nets are summed per seller and UTC day of purchase. Each
 * message in the dead-letter queue is drift, and so is every unbooked event the queue cannot
 * be holding: more events waiting on the queue than it and the DLQ hold messages (one event,
 * one message) means the difference is in neither, even while the queue never empties.
 */
export function reconcile(
  expected: Iterable<ExpectedLine>,
  booked: Iterable<BookedLine>,
  options: JudgeOptions,
): ReconciliationReport {
  const listLimit = options.listLimit ?? DEFAULT_LIST_LIMIT;
  const unmatched = new Map<string, BookedLine>();
  let ledgerLines = 0;
  for (const line of booked) {
    unmatched.set(keyOf(line), line);
    ledgerLines += 1;
  }

  const sellerDays = new Map<string, SellerDay>();
  const sellerDay = (sellerId: string, day: string): SellerDay => {
    const key = `${sellerId}|${day}`;
    let entry = sellerDays.get(key);
    if (!entry) {
      entry = { sellerId, day, salesNet: 0, ledgerNet: 0, inFlightNet: 0, driftLines: 0 };
      sellerDays.set(key, entry);
    }
    return entry;
  };

  const purchases = new Set<string>();
  const inFlight: InFlightFinding[] = [];
  const waitingOnQueue = new Set<string>();
  const drift: Record<DriftKind, LineFinding[]> = {
    missing_in_ledger: [],
    amount_mismatch: [],
    ledger_without_sale: [],
  };
  let salesLines = 0;
  let matched = 0;

  for (const line of expected) {
    salesLines += 1;
    purchases.add(line.purchaseId);
    const { day } = line;
    const totals = sellerDay(line.sellerId, day);
    totals.salesNet += line.amount;
    const key = keyOf(line);
    const found = unmatched.get(key);
    const finding = {
      purchaseId: line.purchaseId,
      sellerId: line.sellerId,
      eventType: line.eventType,
      day,
      expectedAmount: line.amount,
      ledgerAmount: found?.amount ?? null,
    };
    if (found) {
      unmatched.delete(key);
      sellerDay(found.sellerId, found.day).ledgerNet += found.amount;
      if (found.amount === line.amount) {
        matched += 1;
      } else {
        drift.amount_mismatch.push(finding);
        totals.driftLines += 1;
      }
      continue;
    }
    const state = inFlightState(line.event, options);
    if (state && line.event) {
      inFlight.push({ ...finding, state, since: line.event.since });
      totals.inFlightNet += line.amount;
      if (state === 'queue_not_drained') waitingOnQueue.add(`${line.purchaseId}|${line.eventType}`);
    } else {
      drift.missing_in_ledger.push(finding);
      totals.driftLines += 1;
    }
  }

  for (const line of unmatched.values()) {
    const { day } = line;
    const totals = sellerDay(line.sellerId, day);
    totals.ledgerNet += line.amount;
    totals.driftLines += 1;
    drift.ledger_without_sale.push({
      purchaseId: line.purchaseId,
      sellerId: line.sellerId,
      eventType: line.eventType,
      day,
      expectedAmount: null,
      ledgerAmount: line.amount,
    });
  }

  const all = [...sellerDays.values()];
  const bySellerDay = all
    .filter((row) => row.salesNet !== row.ledgerNet || row.driftLines > 0)
    .sort((a, b) => a.day.localeCompare(b.day) || a.sellerId.localeCompare(b.sellerId));
  const counts = {
    missing_in_ledger: drift.missing_in_ledger.length,
    amount_mismatch: drift.amount_mismatch.length,
    ledger_without_sale: drift.ledger_without_sale.length,
  };
  const driftCount = DRIFT_KINDS.reduce((sum, kind) => sum + counts[kind], 0);
  const queue = queueFigures(options);
  const deadLettered = queue.checked ? queue.deadLettered : null;
  const notInQueue = queue.checked
    ? Math.max(0, waitingOnQueue.size - queue.messages - queue.deadLettered)
    : 0;
  const cap = <T extends LineFinding>(items: T[]) =>
    items.sort(byDaySellerPurchase).slice(0, listLimit);

  return {
    ok: driftCount === 0 && (deadLettered ?? 0) === 0 && notInQueue === 0,
    totals: {
      purchases: purchases.size,
      salesLines,
      ledgerLines,
      salesNet: all.reduce((sum, row) => sum + row.salesNet, 0),
      ledgerNet: all.reduce((sum, row) => sum + row.ledgerNet, 0),
      matched,
      inFlight: inFlight.length,
      drift: driftCount,
      ...counts,
      differingSellerDays: bySellerDay.length,
      deadLettered,
      notInQueue,
    },
    queue,
    listLimit,
    inFlight: cap(inFlight),
    drift: {
      missing_in_ledger: cap(drift.missing_in_ledger),
      amount_mismatch: cap(drift.amount_mismatch),
      ledger_without_sale: cap(drift.ledger_without_sale),
    },
    bySellerDay: bySellerDay.slice(0, listLimit),
  };
}
