import { readFileSync } from 'node:fs';
import path from 'node:path';
import { roleSchema } from '@marketplace/common';
import bcrypt from 'bcrypt';
import type { Sequelize } from 'sequelize';
import { z } from 'zod';
import { writeRows } from './database';

/** The repository's fixtures/ folder (same depth from src/ and dist/). */
export const FIXTURES_DIR = path.resolve(__dirname, '..', '..', '..', 'fixtures');

const sellersFile = z.array(z.object({ seller_id: z.uuid(), name: z.string().min(1) }));
const productsFile = z.array(
  z.object({
    product_id: z.uuid(),
    title: z.string().min(1),
    price: z.number().int().positive(),
    seller_id: z.uuid(),
    stock: z.number().int().min(0).nullable(),
  }),
);
const usersFile = z.array(
  z.object({
    user_id: z.uuid(),
    username: z.string().min(1),
    email: z.email(),
    password: z.string().min(8),
    role: roleSchema,
    seller_id: z.uuid().nullable(),
  }),
);

function read<S extends z.ZodType>(dir: string, file: string, schema: S): z.infer<S> {
  return schema.parse(JSON.parse(readFileSync(path.join(dir, file), 'utf8')));
}

export interface FixtureCounts {
  sellers: number;
  users: number;
  products: number;
}

/**
 * Upserts the demo sellers, users and products by id in one transaction: loading twice
 * leaves the same rows, reset to the fixture values.
 */
export async function loadFixtures(
  sequelize: Sequelize,
  options: { dir?: string; bcryptRounds: number },
): Promise<FixtureCounts> {
  const dir = options.dir ?? FIXTURES_DIR;
  const sellers = read(dir, 'sellers.json', sellersFile);
  const users = read(dir, 'users.json', usersFile);
  const products = read(dir, 'products.json', productsFile);
  const hashes = await Promise.all(users.map((u) => bcrypt.hash(u.password, options.bcryptRounds)));
  await sequelize.transaction(async (transaction) => {
    for (const seller of sellers) {
      await writeRows(
        sequelize,
        `INSERT INTO sellers (id, name) VALUES (:seller_id, :name)
         ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name`,
        seller,
        transaction,
      );
    }
    for (const [i, user] of users.entries()) {
      await writeRows(
        sequelize,
        `INSERT INTO users (id, username, email, password_hash, role, seller_id)
         VALUES (:user_id, :username, :email, :hash, :role, :seller_id)
         ON CONFLICT (id) DO UPDATE SET username = EXCLUDED.username, email = EXCLUDED.email,
           password_hash = EXCLUDED.password_hash, role = EXCLUDED.role, seller_id = EXCLUDED.seller_id`,
        { ...user, hash: hashes[i] },
        transaction,
      );
    }
    for (const product of products) {
      await writeRows(
        sequelize,
        `INSERT INTO products (id, title, price, seller_id, stock)
         VALUES (:product_id, :title, :price, :seller_id, :stock)
         ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, price = EXCLUDED.price,
           seller_id = EXCLUDED.seller_id, stock = EXCLUDED.stock`,
        product,
        transaction,
      );
    }
  });
  return { sellers: sellers.length, users: users.length, products: products.length };
}
