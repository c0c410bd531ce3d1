import type { EventType } from '@marketplace/common';

/**
 * Reconciliation: the ledger lines the sales call for, compared with the ledger lines booked.
 * Pure: the readers bring both sides, this decides what matches, what is still on its way and
 * what is drift. Knows nothing of databases.
 */

/** Why an expected line may legitimately not be in the ledger yet. */
export type InFlightState = 'unpublished' | 'published_recently';

/** One line the sales call for: a seller's share of a purchase, per event (cancellations < 0). */
export interface ExpectedLine {
  purchaseId: string;
  sellerId: string;
  eventType: EventType;
  /** Minor units; negative for `order_cancelled`. */
  amount: number;
  /** UTC day of the purchase, YYYY-MM-DD. */
  day: string;
  /** Set while its outbox event is unpublished or was published within the grace period. */
  inFlight?: { state: InFlightState; since: Date } | undefined;
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
  } & Record<DriftKind, number>;
  /** Listed items are capped at `listLimit` per kind; the totals count all of them. */
  listLimit: number;
  inFlight: InFlightFinding[];
  drift: Record<DriftKind, LineFinding[]>;
  /** Seller-days whose sales and ledger nets differ or that hold a drift line. */
  bySellerDay: SellerDay[];
}

export const DEFAULT_LIST_LIMIT = 100;

const keyOf = (line: { purchaseId: string; sellerId: string; eventType: string }) =>
  `${line.purchaseId}|${line.sellerId}|${line.eventType}`;

const byDaySellerPurchase = (a: LineFinding, b: LineFinding) =>
  a.day.localeCompare(b.day) ||
  a.sellerId.localeCompare(b.sellerId) ||
  a.purchaseId.localeCompare(b.purchaseId) ||
  a.eventType.localeCompare(b.eventType);

/**
 * Compares per (purchase, seller, event type), in memory with one map: a line in both with the
 * same amount matches; expected only is in flight (if its event is) or missing; booked only is a
 * ledger line without a sale. Nets are summed per seller and UTC day of purchase.
 */
export function reconcile(
  expected: Iterable<ExpectedLine>,
  booked: Iterable<BookedLine>,
  listLimit = DEFAULT_LIST_LIMIT,
): ReconciliationReport {
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
    } else if (line.inFlight) {
      inFlight.push({ ...finding, ...line.inFlight });
      totals.inFlightNet += line.amount;
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
  const cap = <T extends LineFinding>(items: T[]) =>
    items.sort(byDaySellerPurchase).slice(0, listLimit);

  return {
    ok: driftCount === 0,
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
    },
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
