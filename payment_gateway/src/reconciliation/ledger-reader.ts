import type { DateRange } from '../data/ledger-repository';
import type { ReadOnlySnapshot } from './read-only-snapshot';
import type { BookedLine } from './reconciliation';

interface LedgerRow {
  purchase_id: string;
  seller_id: string;
  event_type: string;
  amount: string;
  day: string;
}

/** Every ledger line whose purchase date is in the window (the gateway's own database). */
export async function readLedgerLines(
  snapshot: ReadOnlySnapshot,
  window: DateRange,
): Promise<BookedLine[]> {
  const rows = await snapshot.query<LedgerRow>(
    `SELECT purchase_id, seller_id, event_type, amount,
            to_char(purchase_date AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day
     FROM ledger_entries
     WHERE ($1::timestamptz IS NULL OR purchase_date >= $1)
       AND ($2::timestamptz IS NULL OR purchase_date < $2)`,
    [window.from ?? null, window.to ?? null],
  );
  return rows.map((row) => ({
    purchaseId: row.purchase_id,
    sellerId: row.seller_id,
    eventType: row.event_type,
    amount: Number(row.amount),
    day: row.day,
  }));
}
