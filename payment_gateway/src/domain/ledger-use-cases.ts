import { AppError, NOT_TRACED, inSpan, tracer } from '@marketplace/common';
import type { Span } from '@opentelemetry/api';
import type { Principal, PurchaseEvent, TransactionRunner } from '@marketplace/common';
import type {
  BookedEntry,
  DailyTotal,
  DateRange,
  EntriesPage,
  LedgerEntry,
  LedgerRepository,
} from '../data/ledger-repository';

/** What an event owes each seller: `order_cancelled` reverses `order_placed`. */
export function entriesOf(event: PurchaseEvent): LedgerEntry[] {
  const sign = event.event_type === 'order_cancelled' ? -1 : 1;
  return Object.entries(event.items).map(([sellerId, amount]) => ({
    purchaseId: event.purchase_id,
    sellerId,
    eventType: event.event_type,
    eventId: event.event_id,
    amount: sign * amount,
    currency: event.currency,
    purchaseDate: new Date(event.purchase_date),
  }));
}

export interface Revenue {
  sellerId: string;
  /** Minor units: placed minus cancelled. */
  totalReceived: number;
  currency: string;
  /** Purchases placed minus those cancelled. */
  purchasesCount: number;
}

const tracing = tracer('payment_gateway');

export class LedgerUseCases {
  constructor(
    private readonly inTransaction: TransactionRunner,
    private readonly ledger: LedgerRepository,
    private readonly currency: string,
  ) {}

  /**
   * Books a batch of events in one transaction, with the sellers' daily totals. Returns how many ledger lines were new and
   * how many were already there (a redelivery or a duplicate publish). Traced as a
   * `ledger insert` span, a child of `span` (the message's or the batch's).
   */
  async book(
    events: PurchaseEvent[],
    span: Span = NOT_TRACED,
  ): Promise<{ booked: number; duplicates: number }> {
    const entries = events.flatMap(entriesOf);
    const attributes = {
      'ledger.entries': entries.length,
      // One event (the drain's usual case at low load): its purchase names the span.
      ...(events.length === 1 ? { 'purchase.id': events[0]!.purchase_id } : {}),
    };
    return inSpan(tracing, 'ledger insert', { attributes }, span, async (insert) => {
      const booked = await this.inTransaction((transaction) =>
        this.ledger.book(entries, transaction),
      );
      insert.setAttributes({
        'ledger.entries_booked': booked,
        'ledger.duplicates': entries.length - booked,
      });
      return { booked, duplicates: entries.length - booked };
    });
  }

  /** Throws while the ledger database cannot be reached. */
  async ensureReachable(): Promise<void> {
    await this.ledger.ping();
  }

  async revenue(principal: Principal, sellerId: string, range: DateRange): Promise<Revenue> {
    assertMaySee(principal, sellerId);
    const { total, purchases } = await this.ledger.totals(sellerId, range);
    return { sellerId, totalReceived: total, currency: this.currency, purchasesCount: purchases };
  }

  async entries(
    principal: Principal,
    sellerId: string,
    range: DateRange,
    page: EntriesPage,
  ): Promise<{ items: BookedEntry[]; total: number; more: boolean }> {
    assertMaySee(principal, sellerId);
    return this.ledger.entries(sellerId, range, page);
  }

  /** Totals per day of purchase, YYYY-MM-DD to YYYY-MM-DD inclusive. */
  async daily(
    principal: Principal,
    sellerId: string,
    days: { from: string; to: string },
  ): Promise<{ currency: string; days: DailyTotal[] }> {
    assertMaySee(principal, sellerId);
    return { currency: this.currency, days: await this.ledger.daily(sellerId, days.from, days.to) };
  }

  /** Whether this principal may follow the seller's live feed (throws 403 if not). */
  assertMayFollow(principal: Principal, sellerId: string): void {
    assertMaySee(principal, sellerId);
  }

  /** The seller's last booked line number (0 before the first): where a new reader starts. */
  async position(sellerId: string): Promise<number> {
    return this.ledger.lastSeq(sellerId);
  }

  /** What a reader that last saw line `afterSeq` has missed, with a margin (readers drop repeats). */
  async missed(sellerId: string, afterSeq: number): Promise<BookedEntry[]> {
    return this.ledger.bookedSince(sellerId, afterSeq, {
      overlapSeconds: RESUME_OVERLAP_SECONDS,
      limit: RESUME_MAX_LINES,
    });
  }
}

/** How far back a resumed stream re-sends (see LedgerRepository.bookedSince). */
const RESUME_OVERLAP_SECONDS = 5;
const RESUME_MAX_LINES = 1000;

/** Admins see every seller's revenue; a seller's user only its own. */
function assertMaySee(principal: Principal, sellerId: string): void {
  if (principal.role === 'admin') return;
  if (principal.role === 'seller' && principal.sellerId === sellerId) return;
  throw new AppError('forbidden', "Only an admin or the seller's own user can see this revenue.");
}
