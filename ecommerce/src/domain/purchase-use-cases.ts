import { createHash, randomUUID } from 'node:crypto';
import { AppError, carrierOf } from '@marketplace/common';
import type { EventType, PurchaseEvent } from '@marketplace/common';
import type { Span } from '@opentelemetry/api';
import type { TransactionRunner } from '../data/database';
import type { OutboxRepository } from '../data/outbox-repository';
import type { Page, PageRequest } from '../data/pagination';
import type { ProductRepository } from '../data/product-repository';
import type { Purchase, PurchaseItem, PurchaseRepository } from '../data/purchase-repository';
import { cardBrand, parseExpiry } from './credit-card';
import type { Principal } from './tokens';

export interface OrderLine {
  productId: string;
  quantity: number;
}

/** The card as the request gives it; only what `StoredCard` holds survives this use case. */
export interface CardInput {
  number: string;
  cvv: string;
  holderName: string;
  expDate: string;
}

export interface PlacePurchase {
  lines: OrderLine[];
  card: CardInput;
  idempotencyKey?: string | undefined;
}

/** A purchase as a use case left it, with the event it announced (none for a replay). */
export interface PurchaseOutcome {
  purchase: Purchase;
  eventId?: string;
}

/** Something that publishes outbox events soon after they commit. */
export interface OutboxNudge {
  nudge(): void;
}

/** The same product twice is one line with the quantities added, in first-seen order. */
export function mergeLines(lines: OrderLine[]): OrderLine[] {
  const merged = new Map<string, number>();
  for (const line of lines) {
    merged.set(line.productId, (merged.get(line.productId) ?? 0) + line.quantity);
  }
  return [...merged].map(([productId, quantity]) => ({ productId, quantity }));
}

/** What a seller is owed from a purchase, summed over its lines. */
function amountsBySeller(items: PurchaseItem[]): Record<string, number> {
  const amounts: Record<string, number> = {};
  for (const item of items) amounts[item.sellerId] = (amounts[item.sellerId] ?? 0) + item.subtotal;
  return amounts;
}

function eventFor(purchase: Purchase, type: EventType, occurredAt: Date): PurchaseEvent {
  return {
    event_id: randomUUID(),
    event_type: type,
    version: 1,
    occurred_at: occurredAt.toISOString(),
    purchase_id: purchase.id,
    purchase_date: purchase.createdAt.toISOString(),
    currency: purchase.currency,
    items: amountsBySeller(purchase.items),
  };
}

export class PurchaseUseCases {
  constructor(
    private readonly inTransaction: TransactionRunner,
    private readonly purchases: PurchaseRepository,
    private readonly products: ProductRepository,
    private readonly outbox: OutboxRepository,
    private readonly relay: OutboxNudge,
    private readonly currency: string,
  ) {}

  /**
   * Places a purchase: replay an earlier result for the same Idempotency-Key, price the lines
   * from the products as they are now, then write stock, purchase, items and the `order_placed`
   * outbox event in one statement (one round trip; see placeStatement). SNS is not waited for.
   *
   * The sale is named on the span it runs in, the request's (`purchase.id`, and
   * `purchase.replayed` for a replay), whose trace context the event carries to the relay, the
   * queue and the ledger; a span of its own per sale showed nothing the request's does not.
   */
  async place(span: Span, principal: Principal, input: PlacePurchase): Promise<PurchaseOutcome> {
    const outcome = await this.placeNamed(span, principal, input);
    span.setAttribute('purchase.id', outcome.purchase.id);
    if (!outcome.eventId) span.setAttribute('purchase.replayed', true);
    return outcome;
  }

  private async placeNamed(
    span: Span,
    principal: Principal,
    input: PlacePurchase,
  ): Promise<PurchaseOutcome> {
    const lines = mergeLines(input.lines);
    const requestHash = fingerprint(lines, input.card);
    // What an earlier request with the same Idempotency-Key placed, if any.
    const earlier = async () =>
      input.idempotencyKey
        ? this.replay(principal.userId, input.idempotencyKey, requestHash)
        : undefined;
    const before = await earlier();
    if (before) return { purchase: before };
    const items = await this.price(lines);
    const purchase = this.newPurchase(principal, input, items, requestHash);
    // Named before the write: a refused sale's span says which purchase it would have been.
    span.setAttribute('purchase.id', purchase.id);
    const event = eventFor(purchase, 'order_placed', purchase.createdAt);
    let placed: boolean;
    try {
      placed = await this.purchases.place(purchase, event, carrierOf(span));
    } catch (error) {
      // A concurrent request with the same key may have won the race (we then hit its
      // unique key): answer as it did.
      const winner = await earlier();
      if (winner) return { purchase: winner };
      throw error;
    }
    if (!placed) {
      // The stock may have gone to a concurrent request with the same key that committed
      // first: answer as it did, not with a 409.
      const winner = await earlier();
      if (winner) return { purchase: winner };
      throw new AppError('insufficient_stock', 'Not enough stock left for this order.');
    }
    this.relay.nudge();
    return { purchase, eventId: event.event_id };
  }

  async get(principal: Principal, id: string): Promise<Purchase> {
    const purchase = await this.purchases.findById(id);
    if (!purchase) throw new AppError('purchase_not_found', `Purchase ${id} does not exist.`);
    assertCanSee(principal, purchase);
    return purchase;
  }

  history(principal: Principal, page: PageRequest): Promise<Page<Purchase>> {
    return this.purchases.listForUser(principal.userId, page);
  }

  /**
   * `placed` -> `cancelled`: stock goes back and `order_cancelled` is published, in the trace
   * of `span` (the cancel request's), which it names.
   */
  async cancel(span: Span, principal: Principal, id: string): Promise<PurchaseOutcome> {
    span.setAttribute('purchase.id', id);
    const outcome = await this.inTransaction(async (transaction) => {
      const purchase = await this.purchases.findById(id, transaction);
      if (!purchase) throw new AppError('purchase_not_found', `Purchase ${id} does not exist.`);
      assertCanSee(principal, purchase);
      if (!(await this.purchases.cancel(id, transaction))) {
        throw new AppError('purchase_not_placed', `Purchase ${id} is already ${purchase.status}.`);
      }
      // Product-id order, as when stock was taken, so a cancel and a purchase cannot deadlock.
      const items = [...purchase.items].sort((a, b) => a.productId.localeCompare(b.productId));
      for (const item of items) {
        await this.products.release(item.productId, item.quantity, transaction);
      }
      const now = new Date();
      const event = eventFor(purchase, 'order_cancelled', now);
      await this.outbox.add(event, carrierOf(span), transaction);
      return {
        purchase: { ...purchase, status: 'cancelled' as const, cancelledAt: now },
        eventId: event.event_id,
      };
    });
    this.relay.nudge();
    return outcome;
  }

  private async replay(
    userId: string,
    key: string,
    requestHash: string,
  ): Promise<Purchase | undefined> {
    const earlier = await this.purchases.findByIdempotencyKey(userId, key);
    if (earlier && earlier.requestHash !== requestHash) {
      throw new AppError(
        'idempotency_key_reused',
        'This Idempotency-Key was already used with a different request body.',
      );
    }
    return earlier;
  }

  /**
   * The lines priced from the products as they are now (422 for unknown products). Stock is
   * checked here only to refuse early; the write itself is what guarantees no oversell.
   */
  private async price(lines: OrderLine[]): Promise<PurchaseItem[]> {
    const ids = lines.map((l) => l.productId);
    const products = await this.products.forSale(ids);
    const unknown = ids.filter((id) => !products.has(id));
    if (unknown.length > 0) {
      throw new AppError(
        'unknown_products',
        `Unknown products: ${unknown.join(', ')}.`,
        unknown.map((id) => ({
          path: `products[${ids.indexOf(id)}].product_id`,
          message: `unknown product ${id}`,
        })),
      );
    }
    return lines.map((line) => {
      const product = products.get(line.productId)!;
      if (product.stock !== null && product.stock < line.quantity) {
        throw new AppError('insufficient_stock', `Not enough stock of product ${line.productId}.`);
      }
      return {
        productId: product.id,
        sellerId: product.sellerId,
        title: product.title,
        quantity: line.quantity,
        unitPrice: product.price,
        subtotal: product.price * line.quantity,
      };
    });
  }

  /** The purchase as it will be stored, stamped now (the event's `purchase_date` is the same instant). */
  private newPurchase(
    principal: Principal,
    input: PlacePurchase,
    items: PurchaseItem[],
    requestHash: string,
  ): Purchase {
    const expiry = parseExpiry(input.card.expDate)!;
    return {
      id: randomUUID(),
      userId: principal.userId,
      username: principal.username,
      status: 'placed',
      totalPrice: items.reduce((sum, item) => sum + item.subtotal, 0),
      currency: this.currency,
      card: {
        brand: cardBrand(input.card.number),
        last4: input.card.number.slice(-4),
        holderName: input.card.holderName,
        expMonth: expiry.month,
        expYear: expiry.year,
      },
      idempotencyKey: input.idempotencyKey ?? null,
      requestHash: input.idempotencyKey ? requestHash : null,
      items,
      createdAt: new Date(),
      cancelledAt: null,
    };
  }
}

function assertCanSee(principal: Principal, purchase: Purchase): void {
  if (principal.role !== 'admin' && principal.userId !== purchase.userId) {
    throw new AppError('forbidden', 'Only the buyer or an admin can see or change this purchase.');
  }
}

/**
 * Identifies a request body for Idempotency-Key checks. Card number and CVV are left out
 * (a hash of a card number is not safe to keep); brand, last four, expiry and holder stand in.
 */
function fingerprint(lines: OrderLine[], card: CardInput): string {
  const canonical = JSON.stringify({
    lines: [...lines].sort((a, b) => a.productId.localeCompare(b.productId)),
    card: [cardBrand(card.number), card.number.slice(-4), card.expDate, card.holderName],
  });
  return createHash('sha256').update(canonical).digest('hex');
}
