import { DATABASE_TIMEOUTS } from '@marketplace/common';
import type { Logger } from '@marketplace/common';
import pg from 'pg';
import { LEDGER_CHANNEL } from '../data/ledger-repository';
import type { BookedEntry, LedgerRepository } from '../data/ledger-repository';

/** One open stream's side of the feed. */
export interface FeedSubscriber {
  /** Lines of the subscribed seller that were just booked, in booking order. */
  entries(entries: BookedEntry[]): void;
  /** Notifications may have been missed (the connection dropped): catch up from the ledger. */
  gap(): void;
  /** The feed stops (the process shuts down): end the stream. */
  end(): void;
}

/**
 * The LISTEN connection's settings. It sits idle by design but never inside a transaction, so
 * the pool's bounds fit it too: a statement or a transaction left open on it ends as on the
 * pool; and a connect that hangs (a half-open network) must not stall reconnecting for good.
 */
export function listenConnection(databaseUrl: string): pg.ClientConfig {
  return {
    connectionString: databaseUrl,
    application_name: 'ledger-feed',
    statement_timeout: DATABASE_TIMEOUTS.statementMs,
    idle_in_transaction_session_timeout: DATABASE_TIMEOUTS.idleInTransactionMs,
    connectionTimeoutMillis: DATABASE_TIMEOUTS.connectMs,
  };
}

/**
 * Newly booked ledger lines for the streams this process serves, as their bookings commit.
 *
 * Every booking notifies LEDGER_CHANNEL with its lines' `seller_id:seq` pairs in its own
 * transaction, and PostgreSQL delivers a notification to every listening connection only when
 * that transaction commits. So each process keeps one LISTEN connection, and a line booked by
 * any worker reaches the streams of every process, nothing is announced that was not booked,
 * and nothing needs a second system to stay consistent with the ledger (Redis pub/sub would
 * fan out as well, but publishing after the commit could be lost between the two). While the
 * connection is down, notifications are lost: on reconnecting, every subscriber is told to
 * catch up from the ledger.
 */
export class LedgerFeed {
  private client: pg.Client | undefined;
  private readonly subscribers = new Map<string, Set<FeedSubscriber>>();
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly ledger: LedgerRepository,
    private readonly logger: Logger,
    private readonly reconnectMs = 1000,
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  /** Follows one seller's new lines; returns the unsubscribe. */
  subscribe(sellerId: string, subscriber: FeedSubscriber): () => void {
    const set = this.subscribers.get(sellerId) ?? new Set();
    set.add(subscriber);
    this.subscribers.set(sellerId, set);
    return () => {
      set.delete(subscriber);
      if (set.size === 0 && this.subscribers.get(sellerId) === set) {
        this.subscribers.delete(sellerId);
      }
    };
  }

  /** Whether the LISTEN connection is up. */
  get listening(): boolean {
    return this.client !== undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    for (const subscriber of this.all()) subscriber.end();
    this.subscribers.clear();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client(listenConnection(this.databaseUrl));
    client.on('notification', (message) => void this.deliver(message.payload ?? ''));
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${LEDGER_CHANNEL}`);
    } catch (error) {
      client.removeAllListeners();
      await client.end().catch(() => undefined);
      throw error;
    }
    this.client = client;
  }

  private lost(client: pg.Client, error?: Error): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.removeAllListeners();
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    this.logger.warn({ err: error }, 'ledger feed: LISTEN connection lost, reconnecting');
    this.reconnectLater();
  }

  private reconnectLater(): void {
    if (this.stopped) return;
    this.retry = setTimeout(() => {
      this.connect().then(
        () => {
          if (this.stopped) return void this.client?.end();
          this.logger.info('ledger feed: listening again');
          for (const subscriber of this.all()) subscriber.gap();
        },
        () => this.reconnectLater(),
      );
    }, this.reconnectMs);
    this.retry.unref();
  }

  private async deliver(payload: string): Promise<void> {
    const wanted: number[] = [];
    for (const pair of payload.split(',')) {
      const [sellerId, seq] = pair.split(':');
      if (sellerId && this.subscribers.has(sellerId)) wanted.push(Number(seq));
    }
    if (wanted.length === 0) return;
    let entries: BookedEntry[];
    try {
      entries = await this.ledger.bySeq(wanted);
    } catch (error) {
      this.logger.warn({ err: error }, 'ledger feed: could not read booked lines');
      for (const subscriber of this.all()) subscriber.gap();
      return;
    }
    const bySeller = new Map<string, BookedEntry[]>();
    for (const entry of entries) {
      const lines = bySeller.get(entry.sellerId) ?? [];
      lines.push(entry);
      bySeller.set(entry.sellerId, lines);
    }
    for (const [sellerId, lines] of bySeller) {
      for (const subscriber of this.subscribers.get(sellerId) ?? []) subscriber.entries(lines);
    }
  }

  private all(): FeedSubscriber[] {
    return [...this.subscribers.values()].flatMap((set) => [...set]);
  }
}
