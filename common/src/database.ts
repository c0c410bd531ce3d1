import { Client } from 'pg';
import { QueryTypes, Sequelize } from 'sequelize';
import type { Transaction } from 'sequelize';
import { SequelizeStorage, Umzug } from 'umzug';
import type { MigrationFn } from 'umzug';
import type { Logger } from './logger';

export interface Migration {
  name: string;
  up: MigrationFn<Sequelize>;
  down: MigrationFn<Sequelize>;
}

/** Creates the database named in `url` when it does not exist yet (no hand-made databases). */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`unsupported database name "${name}"`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } catch (error) {
        // 42P04 duplicate_database: another process created it between our check and now.
        if ((error as { code?: string }).code !== '42P04') throw error;
      }
    }
  } finally {
    await client.end();
  }
}

/** Applies pending migrations in order, recording them in `schema_migrations`. */
export async function migrate(
  sequelize: Sequelize,
  migrations: Migration[],
  logger?: Logger,
): Promise<string[]> {
  const umzug = new Umzug({
    migrations,
    context: sequelize,
    storage: new SequelizeStorage({ sequelize, tableName: 'schema_migrations' }),
    logger: undefined,
  });
  // One migrator at a time across processes: several instances may start together.
  await sequelize.query('SELECT pg_advisory_lock(7281947)');
  try {
    const applied = await umzug.up();
    if (applied.length > 0) logger?.info({ migrations: applied.map((m) => m.name) }, 'migrated');
    return applied.map((m) => m.name);
  } finally {
    await sequelize.query('SELECT pg_advisory_unlock(7281947)');
  }
}

export type { Transaction };

/**
 * Bounds on every pooled connection, so one stuck query or forgotten transaction cannot hold
 * a sale or the drain forever, and a request fails within seconds (503) while the database is
 * unreachable instead of hanging.
 */
export const DATABASE_TIMEOUTS = {
  /** Longest any one statement may run (migrations run without it). */
  statementMs: 10_000,
  /** A transaction left idle this long is ended by PostgreSQL, releasing its locks. */
  idleInTransactionMs: 30_000,
  /** Opening a connection. */
  connectMs: 5_000,
  /** Waiting for a free connection from the pool. */
  acquireMs: 5_000,
};

export function createSequelize(
  url: string,
  options: { statementTimeoutMs?: number; poolMax?: number } = {},
): Sequelize {
  return new Sequelize(url, {
    dialect: 'postgres',
    logging: false,
    pool: {
      max: options.poolMax ?? 10,
      min: 0,
      idle: 10_000,
      acquire: DATABASE_TIMEOUTS.acquireMs,
    },
    dialectOptions: {
      statement_timeout: options.statementTimeoutMs ?? DATABASE_TIMEOUTS.statementMs,
      idle_in_transaction_session_timeout: DATABASE_TIMEOUTS.idleInTransactionMs,
      connectionTimeoutMillis: DATABASE_TIMEOUTS.connectMs,
    },
  });
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

/** The SQLSTATE of a PostgreSQL error as Sequelize wraps it; undefined for anything else. */
export function sqlState(error: unknown): string | undefined {
  const e = error as { original?: { code?: unknown }; parent?: { code?: unknown } } | null;
  const code = e?.original?.code ?? e?.parent?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * PostgreSQL refused a value (SQLSTATE class 22, data exception: a date out of range, a number
 * too large): the input is bad, not the database.
 */
export function isDataException(error: unknown): boolean {
  return sqlState(error)?.startsWith('22') ?? false;
}

/**
 * PostgreSQL rolled the transaction back (SQLSTATE class 40: a deadlock, a serialization
 * failure): nothing was written, and the same work may simply be done again.
 */
export function isTransactionRollback(error: unknown): boolean {
  return sqlState(error)?.startsWith('40') ?? false;
}

/** PostgreSQL unique violation on the named constraint or index. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = error as { name?: string; original?: { code?: string; constraint?: string } };
  if (e?.original?.code !== '23505') return false;
  return constraint === undefined || e.original.constraint === constraint;
}

/** PostgreSQL CHECK constraint violation on the named constraint. */
export function isCheckViolation(error: unknown, constraint: string): boolean {
  const e = error as { original?: { code?: string; constraint?: string } };
  return e?.original?.code === '23514' && e.original.constraint === constraint;
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

/** Creates the database if missing, connects, and applies pending migrations. */
export async function openMigratedDatabase(
  url: string,
  migrations: Migration[],
  logger?: Logger,
): Promise<Sequelize> {
  await ensureDatabase(url);
  // One connection without a statement timeout: an index build may take its time, and the
  // advisory lock is held and released on the same session.
  const migrator = createSequelize(url, { statementTimeoutMs: 0, poolMax: 1 });
  try {
    await migrate(migrator, migrations, logger);
  } finally {
    await migrator.close();
  }
  return createSequelize(url);
}
