import type { EventType } from '@marketplace/common';
import type { DateRange } from '../data/ledger-repository';
import type { ReadOnlySnapshot } from './read-only-snapshot';
import type { ExpectedLine, InFlightState } from './reconciliation';

interface ExpectedRow {
  purchase_id: string;
  seller_id: string;
  event_type: EventType;
  amount: string;
  day: string;
  in_flight: InFlightState | null;
  in_flight_since: Date | null;
}

/**
 * The ledger lines ecommerce's sales call for, from its database (read-only): per purchase and
 * seller, `order_placed` of +sum(subtotal) and, once cancelled, `order_cancelled` of -sum. Each
 * line carries the state of its outbox event: still unpublished, or published less than
 * `graceSeconds` ago (the queue may not be drained yet), by the database's clock. Events pruned
 * from the outbox were published long ago. One query: the shares are summed in SQL.
 */
export async function readExpectedLines(
  snapshot: ReadOnlySnapshot,
  window: DateRange,
  graceSeconds: number,
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
                 WHEN e.published_at > now() - make_interval(secs => $3) THEN 'published_recently'
            END AS in_flight,
            CASE WHEN e.unpublished THEN e.created_at ELSE e.published_at END AS in_flight_since
     FROM lines l LEFT JOIN events e USING (purchase_id, event_type)`,
    [window.from ?? null, window.to ?? null, graceSeconds],
  );
  return rows.map((row) => ({
    purchaseId: row.purchase_id,
    sellerId: row.seller_id,
    eventType: row.event_type,
    amount: Number(row.amount),
    day: row.day,
    inFlight:
      row.in_flight && row.in_flight_since
        ? { state: row.in_flight, since: row.in_flight_since }
        : undefined,
  }));
}
