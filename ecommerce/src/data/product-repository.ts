import type { Sequelize } from 'sequelize';
import type { Transaction } from './database';
import { selectPage, selectRows, writeRows } from './database';
import type { Page, PageRequest } from './pagination';

export interface Product {
  id: string;
  title: string;
  price: number;
  stock: number | null;
  seller: { id: string; name: string };
  createdAt: Date;
}

interface ProductRow {
  id: string;
  title: string;
  price: number;
  stock: number | null;
  seller_id: string;
  seller_name: string;
  created_at: Date;
}

const toProduct = (row: ProductRow): Product => ({
  id: row.id,
  title: row.title,
  price: row.price,
  stock: row.stock,
  seller: { id: row.seller_id, name: row.seller_name },
  createdAt: row.created_at,
});

const SELECT_PRODUCTS = `
  SELECT p.id, p.title, p.price, p.stock, p.created_at, s.id AS seller_id, s.name AS seller_name
  FROM products p JOIN sellers s ON s.id = p.seller_id`;

/** What a sale takes from a product row at the moment the stock is reserved. */
export interface ReservedProduct {
  id: string;
  title: string;
  price: number;
  sellerId: string;
}

export class ProductRepository {
  constructor(private readonly sequelize: Sequelize) {}

  async insert(product: {
    id: string;
    title: string;
    price: number;
    stock: number | null;
    sellerId: string;
  }): Promise<void> {
    await writeRows(
      this.sequelize,
      `INSERT INTO products (id, title, price, stock, seller_id)
       VALUES (:id, :title, :price, :stock, :sellerId) RETURNING id`,
      product,
    );
  }

  async findById(id: string): Promise<Product | undefined> {
    const [row] = await selectRows<ProductRow>(
      this.sequelize,
      `${SELECT_PRODUCTS} WHERE p.id = :id`,
      {
        id,
      },
    );
    return row && toProduct(row);
  }

  async list(page: PageRequest, filter: { sellerId?: string | undefined }): Promise<Page<Product>> {
    const where = filter.sellerId ? 'WHERE p.seller_id = :sellerId' : '';
    const { rows, total } = await selectPage<ProductRow>(
      this.sequelize,
      `${SELECT_PRODUCTS} ${where} ORDER BY p.created_at, p.id`,
      { sellerId: filter.sellerId ?? null },
      page,
    );
    return { items: rows.map(toProduct), total };
  }

  async existingIds(ids: string[], transaction?: Transaction): Promise<Set<string>> {
    const rows = await selectRows<{ id: string }>(
      this.sequelize,
      'SELECT id FROM products WHERE id IN (:ids)',
      { ids },
      transaction,
    );
    return new Set(rows.map((r) => r.id));
  }

  /**
   * Takes `quantity` from the product's stock in one conditional UPDATE, so concurrent buyers
   * can never oversell; unlimited stock (NULL) stays NULL. Returns the product as sold, or
   * undefined when there is not enough stock. The row stays locked until the transaction ends.
   */
  async reserve(
    id: string,
    quantity: number,
    transaction: Transaction,
  ): Promise<ReservedProduct | undefined> {
    const [row] = await writeRows<{ id: string; title: string; price: number; seller_id: string }>(
      this.sequelize,
      `UPDATE products SET stock = stock - :quantity
       WHERE id = :id AND (stock IS NULL OR stock >= :quantity)
       RETURNING id, title, price, seller_id`,
      { id, quantity },
      transaction,
    );
    return row && { id: row.id, title: row.title, price: row.price, sellerId: row.seller_id };
  }

  /** Gives stock back (a cancelled purchase); unlimited stock stays unlimited. */
  async release(id: string, quantity: number, transaction: Transaction): Promise<void> {
    await writeRows(
      this.sequelize,
      'UPDATE products SET stock = stock + :quantity WHERE id = :id AND stock IS NOT NULL',
      { id, quantity },
      transaction,
    );
  }
}
