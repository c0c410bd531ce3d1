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

/** The PostgreSQL server the tests use (TEST_POSTGRES_URL), without a database name. */
export const testServerUrl = () =>
  process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';

/**
 * Every test database is named `ecommerce_…_test` or `payments_…_test`, then TEST_DB_SUFFIX.
 * The name is how the end of a run finds them all to scan for secrets (secret-scan.ts), so
 * `testDatabaseUrl` refuses any other.
 */
const TEST_DATABASE_NAME = /^(ecommerce|payments)_([a-z0-9]+_)*test$/;

/**
 * A test database's URL. TEST_DB_SUFFIX lets two runs on one machine (two checkouts, say)
 * keep apart, since each run drops and re-creates its databases.
 */
export function testDatabaseUrl(name: string): string {
  if (!TEST_DATABASE_NAME.test(name)) {
    throw new Error(`test database "${name}" must be named like ${TEST_DATABASE_NAME}`);
  }
  return `${testServerUrl()}/${name}${process.env.TEST_DB_SUFFIX ?? ''}`;
}

/** Whether a database on the test server is one of this checkout's (its TEST_DB_SUFFIX). */
export function isTestDatabase(name: string): boolean {
  const suffix = process.env.TEST_DB_SUFFIX ?? '';
  return (
    name.endsWith(suffix) && TEST_DATABASE_NAME.test(name.slice(0, name.length - suffix.length))
  );
}

/** The URLs of the databases on a server (templates and `postgres` left out) that `keep` accepts. */
export async function listDatabases(
  serverUrl: string,
  keep: (name: string) => boolean = () => true,
): Promise<string[]> {
  const client = new Client({ connectionString: `${serverUrl}/postgres` });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      "SELECT datname AS name FROM pg_database WHERE NOT datistemplate AND datname <> 'postgres' ORDER BY datname",
    );
    return rows
      .map((row) => row.name)
      .filter(keep)
      .map((name) => `${serverUrl}/${name}`);
  } finally {
    await client.end();
  }
}

/** Drops the database and builds it again with the service's own migrations. */
export async function recreateDatabase(
  url: string,
  prepare: (url: string) => Promise<{ close(): Promise<void> }>,
): Promise<void> {
  await dropDatabase(url);
  await (await prepare(url)).close();
}
