import type { Sequelize } from 'sequelize';
import type { Transaction } from './database';
import { selectPage, selectRows, writeRows } from './database';
import type { Page, PageRequest } from './pagination';

export interface Seller {
  id: string;
  name: string;
  createdAt: Date;
}

interface SellerRow {
  id: string;
  name: string;
  created_at: Date;
}

const toSeller = (row: SellerRow): Seller => ({
  id: row.id,
  name: row.name,
  createdAt: row.created_at,
});

export class SellerRepository {
  constructor(private readonly sequelize: Sequelize) {}

  async insert(seller: { id: string; name: string }, transaction?: Transaction): Promise<Seller> {
    const [row] = await writeRows<SellerRow>(
      this.sequelize,
      'INSERT INTO sellers (id, name) VALUES (:id, :name) RETURNING *',
      seller,
      transaction,
    );
    return toSeller(row!);
  }

  async findById(id: string): Promise<Seller | undefined> {
    const [row] = await selectRows<SellerRow>(
      this.sequelize,
      'SELECT * FROM sellers WHERE id = :id',
      {
        id,
      },
    );
    return row && toSeller(row);
  }

  async list(page: PageRequest): Promise<Page<Seller>> {
    const { rows, total } = await selectPage<SellerRow>(
      this.sequelize,
      'SELECT * FROM sellers ORDER BY created_at, id',
      {},
      page,
    );
    return { items: rows.map(toSeller), total };
  }
}
