import type { DateRange } from '../data/ledger-repository';
import type { QueueCounts } from '../messaging/queue-depth';
import { readLedgerLines } from './ledger-reader';
import { ReadOnlySnapshot } from './read-only-snapshot';
import { DEFAULT_LIST_LIMIT, reconcile } from './reconciliation';
import type { ReconciliationReport } from './reconciliation';
import { readExpectedLines } from './sales-reader';

/**
 * When the queue cannot be read: how long a published event may take to reach the ledger
 * before its absence is drift. A guess, wrong both ways: too long for a lost event, too short
 * for a backlog (a ledger database down for 10 minutes).
 */
export const DEFAULT_GRACE_SECONDS = 300;

/**
 * When the queue is read: events published this recently are in flight even if the queue
 * looks empty. SQS's counts "may not achieve consistency until at least 1 minute after the
 * producers stop sending messages" (GetQueueAttributes); twice that. Never more than the grace
 * asked for, so `--grace-seconds 0` (a pipeline known to be at rest) allows none.
 */
export const QUEUE_LAG_GRACE_SECONDS = 120;

/** The purchases queue's and its dead-letter queue's counts (QueueDepths). */
export interface QueueReader {
  queue(): Promise<QueueCounts>;
  deadLetter(): Promise<QueueCounts>;
}

type QueueRead =
  | { checked: true; queue: QueueCounts; deadLetter: QueueCounts }
  | { checked: false; error: string };

export interface ReconcileOptions {
  /** Purchase dates in [from, to); open ends mean everything. */
  window?: DateRange;
  /** Used in full only when the queue cannot be read (see DEFAULT_GRACE_SECONDS). */
  graceSeconds?: number;
  listLimit?: number;
}

/**
 * Reads both sides read-only, and the queues' counts, and compares them. ecommerce's database
 * is read directly (not through its API): an auditor must not depend on the code it audits,
 * and must work while ecommerce is down. A queue that cannot be read is reported, and the
 * grace period decides what is in flight instead.
 */
export class Reconciler {
  constructor(
    private readonly databases: {
      /** ecommerce's database (ECOMMERCE_DATABASE_URL): the sales. */
      sales: string;
      /** The gateway's own database (DATABASE_URL): the ledger. */
      ledger: string;
    },
    private readonly queues: QueueReader,
  ) {}

  async run(options: ReconcileOptions = {}): Promise<ReconciliationReport> {
    const window = options.window ?? {};
    const graceSeconds = options.graceSeconds ?? DEFAULT_GRACE_SECONDS;
    const started = performance.now();
    // The queue first: a message deleted after this read was booked before it, so the later
    // ledger snapshot holds it. Then the ledger, then the sales: every booked line's sale
    // committed before its event was published, so the later sales snapshot holds it; a sale
    // made in between shows as in flight. Any other order reports lines booked in between as
    // missing, or as ledger lines without a sale.
    const queue = await this.checkQueue();
    const booked = await this.read('the ledger', this.databases.ledger, (db) =>
      readLedgerLines(db, window),
    );
    const expected = await this.read('the sales', this.databases.sales, (db) =>
      readExpectedLines(db, window),
    );
    const readSecondsBeforeSales = (performance.now() - started) / 1000;
    return reconcile(expected, booked, {
      queue: queue.checked ? { ...queue, readSecondsBeforeSales } : queue,
      graceSeconds,
      lagGraceSeconds: Math.min(graceSeconds, QUEUE_LAG_GRACE_SECONDS),
      listLimit: options.listLimit ?? DEFAULT_LIST_LIMIT,
    });
  }

  /** Both queues' counts, or why they could not be read (never thrown: the report says it). */
  private async checkQueue(): Promise<QueueRead> {
    try {
      const [queue, deadLetter] = await Promise.all([
        this.queues.queue(),
        this.queues.deadLetter(),
      ]);
      return { checked: true, queue, deadLetter };
    } catch (error) {
      return { checked: false, error: `could not read the queue: ${messageOf(error)}` };
    }
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
