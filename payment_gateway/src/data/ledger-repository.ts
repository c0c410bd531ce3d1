import { selectPage, selectRows, writeRows } from '@marketplace/common';
import type { EventType, Transaction } from '@marketplace/common';
import type { Sequelize } from 'sequelize';

export interface LedgerEntry {
  purchaseId: string;
  sellerId: string;
  eventType: EventType;
  eventId: string;
  /** Minor units; negative for a cancellation. */
  amount: number;
  currency: string;
  purchaseDate: Date;
}

export interface BookedEntry extends LedgerEntry {
  id: string;
  bookedAt: Date;
}

/** Purchase dates in [from, to); either end may be open. */
export interface DateRange {
  from?: Date | undefined;
  to?: Date | undefined;
}

interface EntryRow {
  id: string;
  purchase_id: string;
  seller_id: string;
  event_type: EventType;
  event_id: string;
  amount: string;
  currency: string;
  purchase_date: Date;
  booked_at: Date;
}

const RANGE = `(CAST(:from AS timestamptz) IS NULL OR purchase_date >= :from)
  AND (CAST(:to AS timestamptz) IS NULL OR purchase_date < :to)`;

const rangeReplacements = (range: DateRange) => ({
  from: range.from?.toISOString() ?? null,
  to: range.to?.toISOString() ?? null,
});

export class LedgerRepository {
  constructor(private readonly sequelize: Sequelize) {}

  /** Answers when the ledger database does (the drain asks before it receives anything). */
  async ping(): Promise<void> {
    await this.sequelize.query('SELECT 1');
  }

  /**
   * Inserts the entries that are not there yet and returns how many were new. The unique key
   * (purchase, seller, event type) makes a redelivered event insert nothing.
   */
  async book(entries: LedgerEntry[], transaction: Transaction): Promise<number> {
    if (entries.length === 0) return 0;
    const replacements: Record<string, unknown> = {};
    const values = entries.map((entry, i) => {
      Object.assign(replacements, {
        [`purchase${i}`]: entry.purchaseId,
        [`seller${i}`]: entry.sellerId,
        [`type${i}`]: entry.eventType,
        [`event${i}`]: entry.eventId,
        [`amount${i}`]: entry.amount,
        [`currency${i}`]: entry.currency,
        [`date${i}`]: entry.purchaseDate.toISOString(),
      });
      return `(:purchase${i}, :seller${i}, :type${i}, :event${i}, :amount${i}, :currency${i}, :date${i})`;
    });
    const inserted = await writeRows(
      this.sequelize,
      `INSERT INTO ledger_entries
         (purchase_id, seller_id, event_type, event_id, amount, currency, purchase_date)
       VALUES ${values.join(', ')}
       ON CONFLICT ON CONSTRAINT ledger_entries_once DO NOTHING
       RETURNING id`,
      replacements,
      transaction,
    );
    return inserted.length;
  }

  /** The seller's net total and net count of purchases (placed minus cancelled). */
  async totals(sellerId: string, range: DateRange): Promise<{ total: number; purchases: number }> {
    const [row] = await selectRows<{ total: string | null; purchases: string | null }>(
      this.sequelize,
      `SELECT coalesce(sum(amount), 0) AS total,
              coalesce(sum(CASE event_type WHEN 'order_placed' THEN 1 ELSE -1 END), 0) AS purchases
       FROM ledger_entries WHERE seller_id = :sellerId AND ${RANGE}`,
      { sellerId, ...rangeReplacements(range) },
    );
    return { total: Number(row?.total ?? 0), purchases: Number(row?.purchases ?? 0) };
  }

  /** Ledger lines, newest purchase first. */
  async entries(
    sellerId: string,
    range: DateRange,
    page: { limit: number; offset: number },
  ): Promise<{ items: BookedEntry[]; total: number }> {
    const { rows, total } = await selectPage<EntryRow>(
      this.sequelize,
      `SELECT * FROM ledger_entries WHERE seller_id = :sellerId AND ${RANGE}
       ORDER BY purchase_date DESC, booked_at DESC, id`,
      { sellerId, ...rangeReplacements(range) },
      page,
    );
    return {
      items: rows.map((row) => ({
        id: row.id,
        purchaseId: row.purchase_id,
        sellerId: row.seller_id,
        eventType: row.event_type,
        eventId: row.event_id,
        amount: Number(row.amount),
        currency: row.currency.trim(),
        purchaseDate: row.purchase_date,
        bookedAt: row.booked_at,
      })),
      total,
    };
  }
}
