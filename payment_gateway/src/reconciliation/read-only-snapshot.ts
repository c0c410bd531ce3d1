import { DATABASE_TIMEOUTS } from '@marketplace/common';
import { Client } from 'pg';

/**
 * One connection holding one READ ONLY, REPEATABLE READ transaction: every query sees the same
 * snapshot (taken at the first query), and the session itself refuses writes
 * (`default_transaction_read_only=on`), so the auditor cannot change what it audits.
 */
export class ReadOnlySnapshot {
  private constructor(private readonly client: Client) {}

  static async open(url: string): Promise<ReadOnlySnapshot> {
    const client = new Client({
      connectionString: url,
      options: '-c default_transaction_read_only=on',
      application_name: 'reconciliation',
      connectionTimeoutMillis: 10_000,
      statement_timeout: 300_000,
      // Its queries run back to back: a snapshot a stuck caller leaves open must not hold
      // back vacuum (or a connection) for good.
      idle_in_transaction_session_timeout: DATABASE_TIMEOUTS.idleInTransactionMs,
    });
    // A failing query rejects on its own; this only keeps a dropped idle connection from
    // crashing a long-lived process with an unhandled 'error' event.
    client.on('error', () => undefined);
    await client.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    } catch (error) {
      await client.end();
      throw error;
    }
    return new ReadOnlySnapshot(client);
  }

  async query<T extends object>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.client.query<T>(sql, params)).rows;
  }

  /** Ends the transaction (nothing to commit) and the connection. */
  async close(): Promise<void> {
    await this.client.query('ROLLBACK').catch(() => undefined);
    await this.client.end();
  }
}
