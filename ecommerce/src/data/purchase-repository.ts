import type { Sequelize } from 'sequelize';
import type { Transaction } from './database';
import { selectPage, selectRows, writeRows } from './database';
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

const SELECT_PURCHASES = `
  SELECT p.*, u.username FROM purchases p JOIN users u ON u.id = p.user_id`;

export class PurchaseRepository {
  constructor(private readonly sequelize: Sequelize) {}

  /** Writes the purchase and its items; returns the creation time the database stamped. */
  async insert(purchase: NewPurchase, transaction: Transaction): Promise<Date> {
    const [stamped] = await writeRows<{ created_at: Date }>(
      this.sequelize,
      `INSERT INTO purchases (id, user_id, status, total_price, currency, card_brand, card_last4,
         card_holder_name, card_exp_month, card_exp_year, idempotency_key, request_hash)
       VALUES (:id, :userId, :status, :totalPrice, :currency, :brand, :last4, :holderName,
         :expMonth, :expYear, :idempotencyKey, :requestHash)
       RETURNING created_at`,
      { ...purchase, ...purchase.card },
      transaction,
    );
    const values = purchase.items
      .map(
        (_, i) =>
          `(gen_random_uuid(), :purchaseId, ${i}, :product${i}, :seller${i}, :title${i}, :quantity${i}, :unitPrice${i}, :subtotal${i})`,
      )
      .join(', ');
    const replacements: Record<string, unknown> = { purchaseId: purchase.id };
    purchase.items.forEach((item, i) => {
      replacements[`product${i}`] = item.productId;
      replacements[`seller${i}`] = item.sellerId;
      replacements[`title${i}`] = item.title;
      replacements[`quantity${i}`] = item.quantity;
      replacements[`unitPrice${i}`] = item.unitPrice;
      replacements[`subtotal${i}`] = item.subtotal;
    });
    await writeRows(
      this.sequelize,
      `INSERT INTO purchase_items
         (id, purchase_id, position, product_id, seller_id, title, quantity, unit_price, subtotal)
       VALUES ${values}`,
      replacements,
      transaction,
    );
    return stamped!.created_at;
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
