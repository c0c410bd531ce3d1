import { selectRows, writeRows } from '@marketplace/common';
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
  /** The order it was booked in (the live feed's event id). */
  seq: number;
  bookedAt: Date;
}

/** A seller's totals on one UTC day of purchase. */
export interface DailyTotal {
  day: string;
  total: number;
  purchases: number;
}

/**
 * The PostgreSQL channel a booking notifies, on commit, with `seller_id:seq` pairs (comma
 * separated, at most NOTIFY_PAIRS per notification: a payload must stay under 8,000 bytes).
 */
export const LEDGER_CHANNEL = 'ledger_booked';
const NOTIFY_PAIRS = 100;

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
  seq: string;
}

const toEntry = (row: EntryRow): BookedEntry => ({
  id: row.id,
  seq: Number(row.seq),
  purchaseId: row.purchase_id,
  sellerId: row.seller_id,
  eventType: row.event_type,
  eventId: row.event_id,
  amount: Number(row.amount),
  currency: row.currency.trim(),
  purchaseDate: row.purchase_date,
  bookedAt: row.booked_at,
});

const RANGE = `(CAST(:from AS timestamptz) IS NULL OR purchase_date >= :from)
  AND (CAST(:to AS timestamptz) IS NULL OR purchase_date < :to)`;

const rangeReplacements = (range: DateRange) => ({
  from: range.from?.toISOString() ?? null,
  to: range.to?.toISOString() ?? null,
});

const DAY_MS = 24 * 3600 * 1000;
const startOfDay = (at: Date) => new Date(Math.floor(at.getTime() / DAY_MS) * DAY_MS);
const nextMidnight = (at: Date) => new Date(Math.ceil(at.getTime() / DAY_MS) * DAY_MS);
const dayOf = (midnight: Date) => midnight.toISOString().slice(0, 10);

/**
 * A range cut where its sums are cheapest: the whole UTC days inside it, [fromDay, toDay) as
 * `YYYY-MM-DD` (read from seller_daily_totals; none when the range holds no whole day), and
 * the instants outside those days (read from the ledger: at most one partial day at each end).
 */
export function splitByDays({ from, to }: DateRange): {
  days?: { fromDay?: string | undefined; toDay?: string | undefined };
  edges: { from: Date; to: Date }[];
} {
  if (from && to && nextMidnight(from) >= startOfDay(to)) {
    // No whole day inside: the range is shorter than two days, all of it from the ledger.
    return { edges: [{ from, to }] };
  }
  const firstDay = from && nextMidnight(from);
  const endDay = to && startOfDay(to);
  const edges: { from: Date; to: Date }[] = [];
  if (from && firstDay && from < firstDay) edges.push({ from, to: firstDay });
  if (to && endDay && endDay < to) edges.push({ from: endDay, to });
  return {
    days: { fromDay: firstDay && dayOf(firstDay), toDay: endDay && dayOf(endDay) },
    edges,
  };
}

/** Opaque to clients: the id of the last entry of the previous page. */
export function encodeCursor(entryId: string): string {
  return Buffer.from(`after:${entryId}`).toString('base64url');
}

/** The entry id a cursor names, or undefined when it is not one of ours. */
export function decodeCursor(cursor: string): string | undefined {
  const match = /^after:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/.exec(
    Buffer.from(cursor, 'base64url').toString(),
  );
  return match?.[1];
}

/** Which page of entries: after a cursor (the way for deep pages), or by offset. */
export interface EntriesPage {
  limit: number;
  offset: number;
  /** Entry id from a cursor: the page starts right after that entry. */
  after?: string | undefined;
}

export class LedgerRepository {
  constructor(private readonly sequelize: Sequelize) {}

  /** Answers when the ledger database does (the drain asks before it receives anything). */
  async ping(): Promise<void> {
    await this.sequelize.query('SELECT 1');
  }

  /**
   * Inserts the entries that are not there yet, adds exactly those to the sellers' daily
   * totals, and returns how many were new. The unique key (purchase, seller, event type)
   * makes a redelivered event insert nothing, so it adds nothing to the totals either.
   *
   * One statement. Several drains may book at once, and each waits on the rows the others
   * have inserted or updated but not committed yet: both inserts go in key order (the ledger
   * rows by their unique key, the totals by (seller_id, day)), and all ledger rows are
   * inserted before any total is touched (the totals come from an aggregate of them), so
   * every transaction takes its locks in one global order and none can wait on another in a
   * cycle (a deadlock). The new lines are announced on LEDGER_CHANNEL, which PostgreSQL
   * delivers only if and when the transaction commits: the live feed sees exactly what was
   * booked.
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
      return `(CAST(:purchase${i} AS uuid), CAST(:seller${i} AS uuid), :type${i}, CAST(:event${i} AS uuid),
        CAST(:amount${i} AS bigint), :currency${i}, CAST(:date${i} AS timestamptz))`;
    });
    const [row] = await writeRows<{ booked: string }>(
      this.sequelize,
      `WITH inserted AS (
         INSERT INTO ledger_entries
           (purchase_id, seller_id, event_type, event_id, amount, currency, purchase_date)
         SELECT * FROM (VALUES ${values.join(', ')}) AS v
         ORDER BY 1, 2, 3
         ON CONFLICT ON CONSTRAINT ledger_entries_once DO NOTHING
         RETURNING seller_id, purchase_date, amount, event_type, seq
       ), totalled AS (
         INSERT INTO seller_daily_totals AS t (seller_id, day, amount, purchases, entries)
         SELECT seller_id, (purchase_date AT TIME ZONE 'UTC')::date, sum(amount),
                sum(CASE event_type WHEN 'order_placed' THEN 1 ELSE -1 END), count(*)
         FROM inserted
         GROUP BY 1, 2
         ORDER BY 1, 2
         ON CONFLICT (seller_id, day) DO UPDATE
           SET amount = t.amount + EXCLUDED.amount,
               purchases = t.purchases + EXCLUDED.purchases,
               entries = t.entries + EXCLUDED.entries
       ), notified AS (
         SELECT pg_notify('${LEDGER_CHANNEL}', string_agg(seller_id || ':' || seq, ','))
         FROM (SELECT seller_id, seq, (row_number() OVER () - 1) / ${NOTIFY_PAIRS} AS chunk
               FROM inserted) AS numbered
         GROUP BY chunk
       )
       -- A plain WITH query runs only if read: count the notifications to send them.
       SELECT count(*) AS booked, (SELECT count(*) FROM notified) AS notifications FROM inserted`,
      replacements,
      transaction,
    );
    return Number(row?.booked ?? 0);
  }

  /** The seller's net total and net count of purchases (placed minus cancelled). */
  async totals(sellerId: string, range: DateRange): Promise<{ total: number; purchases: number }> {
    const { total, purchases } = await this.summary(sellerId, range);
    return { total, purchases };
  }

  /**
   * Totals and the number of ledger lines in a range, at the same cost at any ledger size:
   * the whole days from seller_daily_totals, the partial days at the ends from the ledger.
   */
  async summary(
    sellerId: string,
    range: DateRange,
  ): Promise<{ total: number; purchases: number; entries: number }> {
    const { days, edges } = splitByDays(range);
    const replacements: Record<string, unknown> = { sellerId };
    const parts: string[] = [];
    if (days) {
      Object.assign(replacements, { fromDay: days.fromDay ?? null, toDay: days.toDay ?? null });
      parts.push(`SELECT amount, purchases, entries FROM seller_daily_totals
        WHERE seller_id = :sellerId
          AND (CAST(:fromDay AS date) IS NULL OR day >= :fromDay)
          AND (CAST(:toDay AS date) IS NULL OR day < :toDay)`);
    }
    edges.forEach((edge, i) => {
      Object.assign(replacements, {
        [`from${i}`]: edge.from.toISOString(),
        [`to${i}`]: edge.to.toISOString(),
      });
      parts.push(`SELECT sum(amount), sum(CASE event_type WHEN 'order_placed' THEN 1 ELSE -1 END),
          count(*)
        FROM ledger_entries
        WHERE seller_id = :sellerId AND purchase_date >= :from${i} AND purchase_date < :to${i}`);
    });
    const [row] = await selectRows<{ total: string; purchases: string; entries: string }>(
      this.sequelize,
      `SELECT coalesce(sum(amount), 0) AS total, coalesce(sum(purchases), 0) AS purchases,
              coalesce(sum(entries), 0) AS entries
       FROM (${parts.join(' UNION ALL ')}) AS parts (amount, purchases, entries)`,
      replacements,
    );
    return {
      total: Number(row?.total ?? 0),
      purchases: Number(row?.purchases ?? 0),
      entries: Number(row?.entries ?? 0),
    };
  }

  /**
   * Ledger lines, newest purchase first (ties: last booked first, then by id), and how many
   * there are in the range. A page after a cursor is found through the index whatever its
   * depth; an offset page reads and skips every line before it (kept for compatibility).
   */
  async entries(
    sellerId: string,
    range: DateRange,
    page: EntriesPage,
  ): Promise<{ items: BookedEntry[]; total: number; more: boolean }> {
    // An unknown entry (or another seller's) in the cursor compares as NULL: an empty page.
    const after = page.after
      ? `AND (purchase_date, booked_at, id) < (
           SELECT purchase_date, booked_at, id FROM ledger_entries
           WHERE id = :after AND seller_id = :sellerId)`
      : '';
    const [rows, summary] = await Promise.all([
      selectRows<EntryRow>(
        this.sequelize,
        `SELECT * FROM ledger_entries WHERE seller_id = :sellerId AND ${RANGE} ${after}
         ORDER BY purchase_date DESC, booked_at DESC, id DESC
         LIMIT :limit OFFSET :offset`,
        {
          sellerId,
          ...rangeReplacements(range),
          after: page.after ?? null,
          // One more than asked: whether there is a next page.
          limit: page.limit + 1,
          offset: page.offset,
        },
      ),
      this.summary(sellerId, range),
    ]);
    return {
      items: rows.slice(0, page.limit).map(toEntry),
      total: summary.entries,
      more: rows.length > page.limit,
    };
  }

  /** The lines with these booking numbers, in booking order. */
  async bySeq(seqs: number[]): Promise<BookedEntry[]> {
    if (seqs.length === 0) return [];
    const rows = await selectRows<EntryRow>(
      this.sequelize,
      'SELECT * FROM ledger_entries WHERE seq IN (:seqs) ORDER BY seq',
      { seqs },
    );
    return rows.map(toEntry);
  }

  async lastSeq(sellerId: string): Promise<number> {
    const [row] = await selectRows<{ seq: string | null }>(
      this.sequelize,
      'SELECT max(seq) AS seq FROM ledger_entries WHERE seller_id = :sellerId',
      { sellerId },
    );
    return Number(row?.seq ?? 0);
  }

  /**
   * The seller's lines booked after line `afterSeq`, and those booked up to `overlapSeconds`
   * before it: a line numbered earlier may commit later than a higher-numbered one, so a
   * resumed feed re-sends that margin and its reader drops what it already has. At most
   * `limit` lines, the most recent.
   */
  async bookedSince(
    sellerId: string,
    afterSeq: number,
    options: { overlapSeconds: number; limit: number },
  ): Promise<BookedEntry[]> {
    const rows = await selectRows<EntryRow>(
      this.sequelize,
      `SELECT * FROM (
         SELECT * FROM ledger_entries
         WHERE seller_id = :sellerId
           AND (seq > :afterSeq OR booked_at >= (
             SELECT booked_at - make_interval(secs => :overlap) FROM ledger_entries
             WHERE seq = :afterSeq AND seller_id = :sellerId))
         ORDER BY seq DESC LIMIT :limit) AS recent
       ORDER BY seq`,
      { sellerId, afterSeq, overlap: options.overlapSeconds, limit: options.limit },
    );
    return rows.map(toEntry);
  }

  /** Totals per UTC day of purchase in [fromDay, toDay] (YYYY-MM-DD), days without sales left out. */
  async daily(sellerId: string, fromDay: string, toDay: string): Promise<DailyTotal[]> {
    const rows = await selectRows<{ day: string; amount: string; purchases: string }>(
      this.sequelize,
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, amount, purchases FROM seller_daily_totals
       WHERE seller_id = :sellerId AND day BETWEEN :fromDay AND :toDay ORDER BY day`,
      { sellerId, fromDay, toDay },
    );
    return rows.map((row) => ({
      day: row.day,
      total: Number(row.amount),
      purchases: Number(row.purchases),
    }));
  }
}
