import { ensureDatabase, migrate } from '@marketplace/common';
import type { Logger } from '@marketplace/common';
import { QueryTypes, Sequelize } from 'sequelize';
import type { Transaction } from 'sequelize';
import { migrations } from './migrations';

export type { Transaction };

export function createSequelize(url: string): Sequelize {
  return new Sequelize(url, {
    dialect: 'postgres',
    logging: false,
    pool: { max: 10, min: 0, idle: 10_000, acquire: 10_000 },
  });
}

/** Creates the database if missing and applies pending migrations: nothing is made by hand. */
export async function prepareDatabase(url: string, logger?: Logger): Promise<Sequelize> {
  await ensureDatabase(url);
  const sequelize = createSequelize(url);
  await migrate(sequelize, migrations, logger);
  return sequelize;
}

/**
 * A parameterised SELECT returning plain rows. The interesting statements here (conditional
 * stock updates, SKIP LOCKED leases) are SQL anyway, so repositories speak SQL through one door.
 */
export async function selectRows<T extends object>(
  sequelize: Sequelize,
  sql: string,
  replacements: Record<string, unknown> = {},
  transaction?: Transaction,
): Promise<T[]> {
  return sequelize.query<T>(sql, {
    replacements,
    type: QueryTypes.SELECT,
    ...(transaction ? { transaction } : {}),
  });
}

/** An INSERT/UPDATE ... RETURNING, giving back the returned rows. */
export async function writeRows<T extends object>(
  sequelize: Sequelize,
  sql: string,
  replacements: Record<string, unknown>,
  transaction?: Transaction,
): Promise<T[]> {
  const [rows] = await sequelize.query(sql, {
    replacements,
    ...(transaction ? { transaction } : {}),
  });
  return rows as T[];
}

/** PostgreSQL unique violation on the named constraint or index. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = error as { name?: string; original?: { code?: string; constraint?: string } };
  if (e?.original?.code !== '23505') return false;
  return constraint === undefined || e.original.constraint === constraint;
}

/** One page of a query plus the total row count, for `limit`/`offset` lists with X-Total-Count. */
export async function selectPage<T extends object>(
  sequelize: Sequelize,
  sql: string,
  replacements: Record<string, unknown>,
  page: { limit: number; offset: number },
): Promise<{ rows: T[]; total: number }> {
  const [rows, counted] = await Promise.all([
    selectRows<T>(sequelize, `${sql} LIMIT :limit OFFSET :offset`, { ...replacements, ...page }),
    selectRows<{ total: string }>(
      sequelize,
      `SELECT count(*) AS total FROM (${sql}) AS counted`,
      replacements,
    ),
  ]);
  return { rows, total: Number(counted[0]?.total ?? 0) };
}

/** Runs work in one database transaction: committed when it resolves, rolled back when it throws. */
export type TransactionRunner = <T>(work: (transaction: Transaction) => Promise<T>) => Promise<T>;

export function transactionRunner(sequelize: Sequelize): TransactionRunner {
  return (work) => sequelize.transaction(work);
}
