import { QueryTypes, type Sequelize } from 'sequelize';
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

/** A product as a sale prices it: read without a lock (the sale's one statement takes the stock). */
export interface ProductForSale {
  id: string;
  title: string;
  price: number;
  sellerId: string;
  /** NULL: unlimited. */
  stock: number | null;
}

interface ProductForSaleRow {
  id: string;
  title: string;
  price: number;
  seller_id: string;
  stock: number | null;
}

/** The first of a sale's two statements (`make bench` runs it too, as part of the ceiling). */
export const PRODUCTS_FOR_SALE_SQL =
  'SELECT id, title, price, seller_id, stock FROM products WHERE id = ANY ($1::uuid[])';

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

  /** The products of an order as they are now; unknown ids are simply absent. */
  async forSale(ids: string[]): Promise<Map<string, ProductForSale>> {
    const rows = await this.sequelize.query<ProductForSaleRow>(PRODUCTS_FOR_SALE_SQL, {
      bind: [ids],
      type: QueryTypes.SELECT,
    });
    return new Map(
      rows.map((row) => [
        row.id,
        {
          id: row.id,
          title: row.title,
          price: row.price,
          sellerId: row.seller_id,
          stock: row.stock,
        },
      ]),
    );
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
