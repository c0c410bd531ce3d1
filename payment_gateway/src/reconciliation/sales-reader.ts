import type { EventType } from '@marketplace/common';
import type { DateRange } from '../data/ledger-repository';
import type { ReadOnlySnapshot } from './read-only-snapshot';
import type { ExpectedLine } from './reconciliation';

interface ExpectedRow {
  purchase_id: string;
  seller_id: string;
  event_type: EventType;
  amount: string;
  day: string;
  event_state: 'unpublished' | 'published' | null;
  event_since: Date | null;
  /** `numeric`, which pg returns as text. */
  published_seconds_ago: string | null;
}

/**
 * The ledger lines ecommerce's sales call for, from its database (read-only): per purchase and
 * seller, `order_placed` of +sum(subtotal) and, once cancelled, `order_cancelled` of -sum. Each
 * line carries its outbox event: still unpublished (since it was written), or published (when,
 * and how long ago by the database's clock, so the host's clock does not matter). Events pruned
 * from the outbox were published long ago. One query: the shares are summed in SQL.
 */
export async function readExpectedLines(
  snapshot: ReadOnlySnapshot,
  window: DateRange,
): Promise<ExpectedLine[]> {
  const rows = await snapshot.query<ExpectedRow>(
    `WITH sold AS (
       SELECT id, status, created_at FROM purchases
       WHERE ($1::timestamptz IS NULL OR created_at >= $1)
         AND ($2::timestamptz IS NULL OR created_at < $2)
     ),
     shares AS (
       SELECT s.id AS purchase_id, i.seller_id, sum(i.subtotal) AS amount, s.status, s.created_at
       FROM sold s JOIN purchase_items i ON i.purchase_id = s.id
       GROUP BY s.id, s.status, s.created_at, i.seller_id
     ),
     lines AS (
       SELECT purchase_id, seller_id, 'order_placed' AS event_type, amount, created_at FROM shares
       UNION ALL
       SELECT purchase_id, seller_id, 'order_cancelled', -amount, created_at FROM shares
       WHERE status = 'cancelled'
     ),
     events AS (
       SELECT o.purchase_id, o.event_type,
              bool_or(o.published_at IS NULL) AS unpublished,
              min(o.created_at) AS created_at,
              max(o.published_at) AS published_at
       FROM outbox_events o JOIN sold s ON s.id = o.purchase_id
       GROUP BY o.purchase_id, o.event_type
     )
     SELECT l.purchase_id, l.seller_id, l.event_type, l.amount,
            to_char(l.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day,
            CASE WHEN e.unpublished THEN 'unpublished'
                 WHEN e.published_at IS NOT NULL THEN 'published'
            END AS event_state,
            CASE WHEN e.unpublished THEN e.created_at ELSE e.published_at END AS event_since,
            extract(epoch FROM now() - e.published_at) AS published_seconds_ago
     FROM lines l LEFT JOIN events e USING (purchase_id, event_type)`,
    [window.from ?? null, window.to ?? null],
  );
  return rows.map((row) => ({
    purchaseId: row.purchase_id,
    sellerId: row.seller_id,
    eventType: row.event_type,
    amount: Number(row.amount),
    day: row.day,
    event: eventOf(row),
  }));
}

/** No outbox row: no event. A row is unpublished (since written) or published (since then). */
function eventOf(row: ExpectedRow): ExpectedLine['event'] {
  if (!row.event_since) return undefined;
  return row.event_state === 'unpublished'
    ? { state: 'unpublished', since: row.event_since }
    : { state: 'published', since: row.event_since, ageSeconds: Number(row.published_seconds_ago) };
}
