import type { Role } from '@marketplace/common';
import type { Sequelize } from 'sequelize';
import type { Transaction } from './database';
import { selectRows, writeRows } from './database';

export interface User {
  id: string;
  username: string;
  email: string;
  passwordHash: string;
  role: Role;
  sellerId: string | null;
  createdAt: Date;
}

interface UserRow {
  id: string;
  username: string;
  email: string;
  password_hash: string;
  role: Role;
  seller_id: string | null;
  created_at: Date;
}

const toUser = (row: UserRow): User => ({
  id: row.id,
  username: row.username,
  email: row.email,
  passwordHash: row.password_hash,
  role: row.role,
  sellerId: row.seller_id,
  createdAt: row.created_at,
});

export class UserRepository {
  constructor(private readonly sequelize: Sequelize) {}

  async insert(user: Omit<User, 'createdAt'>): Promise<User> {
    const [row] = await writeRows<UserRow>(
      this.sequelize,
      `INSERT INTO users (id, username, email, password_hash, role, seller_id)
       VALUES (:id, :username, :email, :passwordHash, :role, :sellerId) RETURNING *`,
      { ...user },
    );
    return toUser(row!);
  }

  async findByUsername(username: string): Promise<User | undefined> {
    const [row] = await selectRows<UserRow>(
      this.sequelize,
      'SELECT * FROM users WHERE lower(username) = lower(:username)',
      { username },
    );
    return row && toUser(row);
  }

  async findById(id: string, transaction?: Transaction): Promise<User | undefined> {
    const [row] = await selectRows<UserRow>(
      this.sequelize,
      'SELECT * FROM users WHERE id = :id',
      { id },
      transaction,
    );
    return row && toUser(row);
  }

  /**
   * Makes the user the account of a seller (role `seller`). False when the user already
   * speaks for a seller or is an admin: one seller per user, and admins are never demoted.
   */
  async linkToSeller(userId: string, sellerId: string, transaction: Transaction): Promise<boolean> {
    const rows = await writeRows(
      this.sequelize,
      `UPDATE users SET role = 'seller', seller_id = :sellerId
       WHERE id = :userId AND seller_id IS NULL AND role <> 'admin' RETURNING id`,
      { userId, sellerId },
      transaction,
    );
    return rows.length === 1;
  }
}
