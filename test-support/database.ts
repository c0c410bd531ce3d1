import { Client } from 'pg';

/** Drops the named test database so each run starts from a freshly migrated one. */
export async function dropDatabase(url: string): Promise<void> {
  const admin = new URL(url);
  const name = admin.pathname.slice(1);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/**
 * A test database's URL. TEST_DB_SUFFIX lets two runs on one machine (two checkouts, say)
 * keep apart, since each run drops and re-creates its databases.
 */
export const testDatabaseUrl = (name: string) =>
  `${process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432'}/${name}${process.env.TEST_DB_SUFFIX ?? ''}`;

/** Drops the database and builds it again with the service's own migrations. */
export async function recreateDatabase(
  url: string,
  prepare: (url: string) => Promise<{ close(): Promise<void> }>,
): Promise<void> {
  await dropDatabase(url);
  await (await prepare(url)).close();
}
