import type { DateRange } from '../data/ledger-repository';
import { readLedgerLines } from './ledger-reader';
import { ReadOnlySnapshot } from './read-only-snapshot';
import { DEFAULT_LIST_LIMIT, reconcile } from './reconciliation';
import type { ReconciliationReport } from './reconciliation';
import { readExpectedLines } from './sales-reader';

/** How long a published event may take to reach the ledger before its absence is drift. */
export const DEFAULT_GRACE_SECONDS = 300;

export interface ReconcileOptions {
  /** Purchase dates in [from, to); open ends mean everything. */
  window?: DateRange;
  graceSeconds?: number;
  listLimit?: number;
}

/**
 * Reads both sides read-only and compares them. ecommerce's database is read directly (not
 * through its API): an auditor must not depend on the code it audits, and must work while
 * ecommerce is down.
 */
export class Reconciler {
  constructor(
    private readonly databases: {
      /** ecommerce's database (ECOMMERCE_DATABASE_URL): the sales. */
      sales: string;
      /** The gateway's own database (DATABASE_URL): the ledger. */
      ledger: string;
    },
  ) {}

  async run(options: ReconcileOptions = {}): Promise<ReconciliationReport> {
    const window = options.window ?? {};
    // The ledger first, then the sales: every booked line's sale committed before its event
    // was published, so the later sales snapshot holds it; a sale made in between shows as in
    // flight. The other order would report sales booked in between as ledger lines without one.
    const booked = await this.read('the ledger', this.databases.ledger, (db) =>
      readLedgerLines(db, window),
    );
    const expected = await this.read('the sales', this.databases.sales, (db) =>
      readExpectedLines(db, window, options.graceSeconds ?? DEFAULT_GRACE_SECONDS),
    );
    return reconcile(expected, booked, options.listLimit ?? DEFAULT_LIST_LIMIT);
  }

  /** Errors say which side failed (never the URL: it may hold a password). */
  private async read<T>(
    side: string,
    url: string,
    query: (snapshot: ReadOnlySnapshot) => Promise<T>,
  ): Promise<T> {
    try {
      const snapshot = await ReadOnlySnapshot.open(url);
      try {
        return await query(snapshot);
      } finally {
        await snapshot.close();
      }
    } catch (error) {
      throw new Error(`could not read ${side}: ${messageOf(error)}`, { cause: error });
    }
  }
}

/** Connection failures may come as an AggregateError with an empty message (IPv4 and IPv6). */
function messageOf(error: unknown): string {
  if (error instanceof AggregateError && !error.message) {
    return error.errors.map(messageOf).join('; ');
  }
  return error instanceof Error ? error.message || error.name : String(error);
}
