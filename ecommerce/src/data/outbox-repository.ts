import type { PurchaseEvent, TraceCarrier } from '@marketplace/common';
import type { Sequelize } from 'sequelize';
import type { Transaction } from './database';
import { selectRows, writeRows } from './database';

export interface OutboxEvent {
  id: string;
  attempts: number;
  payload: PurchaseEvent;
  /** The trace of the request that wrote it (null when tracing was off). */
  trace_context: TraceCarrier | null;
}

export class OutboxRepository {
  constructor(private readonly sequelize: Sequelize) {}

  /** Written in the same transaction as the purchase change it announces. */
  async add(
    event: PurchaseEvent,
    traceContext: TraceCarrier | null,
    transaction: Transaction,
  ): Promise<void> {
    await writeRows(
      this.sequelize,
      `INSERT INTO outbox_events (id, purchase_id, event_type, payload, trace_context)
       VALUES (:id, :purchaseId, :eventType, :payload, :traceContext)`,
      {
        id: event.event_id,
        purchaseId: event.purchase_id,
        eventType: event.event_type,
        payload: JSON.stringify(event),
        traceContext: traceContext && JSON.stringify(traceContext),
      },
      transaction,
    );
  }

  /**
   * Claims up to `limit` due events by leasing them for `leaseSeconds`. The row locks last only
   * for this statement (SKIP LOCKED lets other relays take other rows); the lease keeps others
   * off while we publish. A relay that dies mid-publish lets the lease lapse and the rows go out
   * again later: a duplicate the ledger absorbs, never a loss.
   */
  async lease(limit: number, leaseSeconds: number): Promise<OutboxEvent[]> {
    return writeRows<OutboxEvent>(
      this.sequelize,
      `UPDATE outbox_events
       SET leased_until = now() + make_interval(secs => :leaseSeconds), attempts = attempts + 1
       WHERE id IN (
         SELECT id FROM outbox_events
         WHERE published_at IS NULL AND available_at <= now()
           AND (leased_until IS NULL OR leased_until < now())
         ORDER BY available_at, created_at
         LIMIT :limit
         FOR UPDATE SKIP LOCKED)
       RETURNING id, attempts, payload, trace_context`,
      { limit, leaseSeconds },
    );
  }

  async markPublished(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await writeRows(
      this.sequelize,
      `UPDATE outbox_events SET published_at = now(), leased_until = NULL, last_error = NULL
       WHERE id IN (:ids)`,
      { ids },
    );
  }

  /** Releases the lease and makes the event due again after `delayMs`. */
  async markFailed(id: string, error: string, delayMs: number): Promise<void> {
    await writeRows(
      this.sequelize,
      `UPDATE outbox_events
       SET leased_until = NULL, last_error = :error,
           available_at = now() + make_interval(secs => :delaySeconds)
       WHERE id = :id`,
      { id, error: error.slice(0, 1000), delaySeconds: delayMs / 1000 },
    );
  }

  /** Deletes published events older than `days`; the outbox is a queue, not an archive. */
  async prunePublished(days: number): Promise<number> {
    const rows = await writeRows(
      this.sequelize,
      `DELETE FROM outbox_events
       WHERE published_at IS NOT NULL AND published_at < now() - make_interval(days => :days)
       RETURNING id`,
      { days },
    );
    return rows.length;
  }

  async pendingCount(): Promise<number> {
    const [row] = await selectRows<{ count: string }>(
      this.sequelize,
      'SELECT count(*) AS count FROM outbox_events WHERE published_at IS NULL',
    );
    return Number(row?.count ?? 0);
  }
}
