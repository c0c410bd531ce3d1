import { Client } from 'pg';
import type { Sequelize } from 'sequelize';
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
