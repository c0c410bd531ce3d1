import type { PurchaseEvent, TraceCarrier } from '@marketplace/common';
import type { Sequelize } from 'sequelize';
import type { Transaction } from './database';
import { isCheckViolation, selectPage, selectRows, writeRows } from './database';
import type { Page, PageRequest } from './pagination';

export type PurchaseStatus = 'placed' | 'cancelled';

export interface PurchaseItem {
  productId: string;
  sellerId: string;
  title: string;
  quantity: number;
  unitPrice: number;
  subtotal: number;
}

/** The stored card: never the number or the CVV. */
export interface StoredCard {
  brand: string;
  last4: string;
  holderName: string;
  expMonth: number;
  expYear: number;
}

export interface Purchase {
  id: string;
  userId: string;
  username: string;
  status: PurchaseStatus;
  totalPrice: number;
  currency: string;
  card: StoredCard;
  idempotencyKey: string | null;
  requestHash: string | null;
  items: PurchaseItem[];
  createdAt: Date;
  cancelledAt: Date | null;
}

export type NewPurchase = Omit<Purchase, 'username' | 'createdAt' | 'cancelledAt'>;

interface PurchaseRow {
  id: string;
  user_id: string;
  username: string;
  status: PurchaseStatus;
  total_price: string;
  currency: string;
  card_brand: string;
  card_last4: string;
  card_holder_name: string;
  card_exp_month: number;
  card_exp_year: number;
  idempotency_key: string | null;
  request_hash: string | null;
  created_at: Date;
  cancelled_at: Date | null;
}

interface ItemRow {
  purchase_id: string;
  product_id: string;
  seller_id: string;
  title: string;
  quantity: number;
  unit_price: number;
  subtotal: string;
}

/** SQL and its values in node-postgres's own form. */
export interface Statement {
  text: string;
  values: unknown[];
}

/**
 * The whole sale as ONE statement, so it costs one round trip and runs in autocommit: no
 * transaction stays open between round trips while a popular product's row is locked. It
 * locks the limited-stock products in id order (so two multi-product sales cannot deadlock),
 * takes their stock — the `stock >= 0` CHECK refuses an oversell and with it the whole
 * statement — and inserts purchase, items and the `order_placed` outbox event. Products with
 * unlimited stock (NULL) are not locked at all. `make bench` runs this same statement through
 * plain node-postgres as the ceiling of the purchase path.
 */
export function placeStatement(
  purchase: NewPurchase & { createdAt: Date },
  event: PurchaseEvent,
  traceContext: TraceCarrier | null = null,
): Statement {
  const { items, card } = purchase;
  return {
    text: `
      WITH locked AS (
        SELECT id FROM products WHERE id = ANY ($1::uuid[]) AND stock IS NOT NULL
        ORDER BY id FOR UPDATE
      ), taken AS (
        -- Data-modifying WITH clauses run to completion whether or not anything reads them.
        UPDATE products SET stock = products.stock - line.quantity
        FROM unnest($1::uuid[], $2::int[]) AS line (product_id, quantity)
        WHERE products.id = line.product_id AND products.id IN (SELECT id FROM locked)
        RETURNING products.id
      ), purchase AS (
        INSERT INTO purchases (id, user_id, status, total_price, currency, card_brand,
          card_last4, card_holder_name, card_exp_month, card_exp_year, idempotency_key,
          request_hash, created_at)
        VALUES ($3, $4, 'placed', $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
        RETURNING id
      ), lines AS (
        INSERT INTO purchase_items
          (id, purchase_id, position, product_id, seller_id, title, quantity, unit_price, subtotal)
        SELECT gen_random_uuid(), (SELECT id FROM purchase), line.position - 1, line.product_id,
          line.seller_id, line.title, line.quantity, line.unit_price, line.subtotal
        FROM unnest($1::uuid[], $15::uuid[], $16::text[], $2::int[], $17::int[], $18::bigint[])
          WITH ORDINALITY AS line (product_id, seller_id, title, quantity, unit_price, subtotal, position)
      )
      INSERT INTO outbox_events (id, purchase_id, event_type, payload, trace_context)
      SELECT $19, id, 'order_placed', $20, $21 FROM purchase`,
    values: [
      items.map((i) => i.productId),
      items.map((i) => i.quantity),
      purchase.id,
      purchase.userId,
      purchase.totalPrice,
      purchase.currency,
      card.brand,
      card.last4,
      card.holderName,
      card.expMonth,
      card.expYear,
      purchase.idempotencyKey,
      purchase.requestHash,
      purchase.createdAt,
      items.map((i) => i.sellerId),
      items.map((i) => i.title),
      items.map((i) => i.unitPrice),
      items.map((i) => i.subtotal),
      event.event_id,
      JSON.stringify(event),
      traceContext && JSON.stringify(traceContext),
    ],
  };
}

const SELECT_PURCHASES = `
  SELECT p.*, u.username FROM purchases p JOIN users u ON u.id = p.user_id`;

export class PurchaseRepository {
  constructor(private readonly sequelize: Sequelize) {}

  /**
   * Writes a sale (stock, purchase, items, outbox event) in one statement: see placeStatement.
   * Returns false when a limited product had not enough stock left (nothing was written).
   * Bind parameters rather than replacements: node-postgres sends the values apart from the
   * SQL, and Sequelize has no SQL text to build for every sale.
   */
  async place(
    purchase: NewPurchase & { createdAt: Date },
    event: PurchaseEvent,
    traceContext: TraceCarrier | null,
  ): Promise<boolean> {
    const { text, values } = placeStatement(purchase, event, traceContext);
    try {
      await this.sequelize.query(text, { bind: values });
      return true;
    } catch (error) {
      if (isCheckViolation(error, 'products_stock_check')) return false;
      throw error;
    }
  }

  async findById(id: string, transaction?: Transaction): Promise<Purchase | undefined> {
    const rows = await selectRows<PurchaseRow>(
      this.sequelize,
      `${SELECT_PURCHASES} WHERE p.id = :id`,
      { id },
      transaction,
    );
    return (await this.withItems(rows, transaction))[0];
  }

  async findByIdempotencyKey(userId: string, key: string): Promise<Purchase | undefined> {
    const rows = await selectRows<PurchaseRow>(
      this.sequelize,
      `${SELECT_PURCHASES} WHERE p.user_id = :userId AND p.idempotency_key = :key`,
      { userId, key },
    );
    return (await this.withItems(rows))[0];
  }

  /** The user's purchases, newest first. */
  async listForUser(userId: string, page: PageRequest): Promise<Page<Purchase>> {
    const { rows, total } = await selectPage<PurchaseRow>(
      this.sequelize,
      `${SELECT_PURCHASES} WHERE p.user_id = :userId ORDER BY p.created_at DESC, p.id`,
      { userId },
      page,
    );
    return { items: await this.withItems(rows), total };
  }

  /** `placed` -> `cancelled`; false when the purchase was not `placed` (already cancelled). */
  async cancel(id: string, transaction: Transaction): Promise<boolean> {
    const rows = await writeRows(
      this.sequelize,
      `UPDATE purchases SET status = 'cancelled', cancelled_at = now()
       WHERE id = :id AND status = 'placed' RETURNING id`,
      { id },
      transaction,
    );
    return rows.length === 1;
  }

  private async withItems(rows: PurchaseRow[], transaction?: Transaction): Promise<Purchase[]> {
    if (rows.length === 0) return [];
    const items = await selectRows<ItemRow>(
      this.sequelize,
      'SELECT * FROM purchase_items WHERE purchase_id IN (:ids) ORDER BY purchase_id, position',
      { ids: rows.map((r) => r.id) },
      transaction,
    );
    const byPurchase = new Map<string, PurchaseItem[]>();
    for (const item of items) {
      const list = byPurchase.get(item.purchase_id) ?? [];
      list.push({
        productId: item.product_id,
        sellerId: item.seller_id,
        title: item.title,
        quantity: item.quantity,
        unitPrice: item.unit_price,
        subtotal: Number(item.subtotal),
      });
      byPurchase.set(item.purchase_id, list);
    }
    return rows.map((row) => ({
      id: row.id,
      userId: row.user_id,
      username: row.username,
      status: row.status,
      totalPrice: Number(row.total_price),
      currency: row.currency.trim(),
      card: {
        brand: row.card_brand,
        last4: row.card_last4,
        holderName: row.card_holder_name,
        expMonth: row.card_exp_month,
        expYear: row.card_exp_year,
      },
      idempotencyKey: row.idempotency_key,
      requestHash: row.request_hash,
      items: byPurchase.get(row.id) ?? [],
      createdAt: row.created_at,
      cancelledAt: row.cancelled_at,
    }));
  }
}
