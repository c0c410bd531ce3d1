import { createSequelize, problemType, toProblem } from '@marketplace/common';
import type { ErrorCode } from '@marketplace/common';
import { Transaction } from 'sequelize';
import type { Sequelize } from 'sequelize';
import { OutageProxy } from '../../test-support/outage-proxy';
import { freePort } from '../../test-support/processes';
import { unique } from '../../test-support/unique';

/**
 * The one error mapper (toProblem) over errors real PostgreSQL raises: each SQLSTATE class a
 * request can run into gets its status and code, and no answer carries SQL, a table, a
 * constraint or a value.
 */
const databaseUrl = process.env.TEST_ECOMMERCE_DATABASE_URL!;
let db: Sequelize;
/**
 * Tables of this file's own (a temporary table is not seen by a second session, and may not be
 * referenced by a foreign key).
 */
const table = unique('mapper_rows');

beforeAll(async () => {
  db = createSequelize(databaseUrl);
  await db.query(`CREATE TABLE ${table} (id int PRIMARY KEY, n int NOT NULL)`);
  await db.query(`CREATE TABLE ${table}_child (row_id int REFERENCES ${table})`);
  await db.query(`INSERT INTO ${table} VALUES (1, 0)`);
});
afterAll(async () => {
  await db.query(`DROP TABLE ${table}_child, ${table}`);
  await db.close();
});

/** What running the statements in one transaction of their own threw. */
async function failureOf(...statements: string[]): Promise<unknown> {
  try {
    await db.transaction(async (transaction) => {
      for (const sql of statements) await db.query(sql, { transaction });
    });
  } catch (error) {
    return error;
  }
  throw new Error(`no failure from ${statements.join('; ')}`);
}

/** Two transactions update one row: the repeatable-read one loses (SQLSTATE 40001). */
async function serializationFailure(): Promise<unknown> {
  const loser = await db.transaction({
    isolationLevel: Transaction.ISOLATION_LEVELS.REPEATABLE_READ,
  });
  try {
    await db.query(`SELECT n FROM ${table} WHERE id = 1`, { transaction: loser });
    await db.query(`UPDATE ${table} SET n = n + 1 WHERE id = 1`);
    return await db
      .query(`UPDATE ${table} SET n = n + 1 WHERE id = 1`, { transaction: loser })
      .then(() => new Error('no serialization failure'));
  } catch (error) {
    return error;
  } finally {
    await loser.rollback();
  }
}

/** A pool aimed at a port nothing listens on. */
async function connectionRefused(): Promise<unknown> {
  const url = new URL(databaseUrl);
  url.host = `127.0.0.1:${await freePort()}`;
  const unreachable = createSequelize(url.toString());
  try {
    return await unreachable.query('SELECT 1').then(() => new Error('connected'));
  } catch (error) {
    return error;
  } finally {
    await unreachable.close();
  }
}

/** The connection is cut while a query runs. */
async function connectionLost(): Promise<unknown> {
  const proxy = new OutageProxy(new URL(`tcp://${new URL(databaseUrl).host}`));
  await proxy.up();
  const url = new URL(databaseUrl);
  url.host = `127.0.0.1:${proxy.port}`;
  const cut = createSequelize(url.toString());
  try {
    await cut.query('SELECT 1');
    const running = cut.query('SELECT pg_sleep(5)').then(() => new Error('not cut'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await proxy.down();
    return await running;
  } catch (error) {
    return error;
  } finally {
    await proxy.down();
    await cut.close().catch(() => undefined);
  }
}

const cases: [string, number, ErrorCode, () => Promise<unknown>][] = [
  [
    'a unique violation (23505)',
    409,
    'already_exists',
    () => failureOf(`INSERT INTO ${table} VALUES (1, 0)`),
  ],
  [
    'a foreign key violation (23503)',
    422,
    'unknown_reference',
    () => failureOf(`INSERT INTO ${table}_child VALUES (42)`),
  ],
  [
    'a data exception: a number out of range (22003)',
    400,
    'value_out_of_range',
    () => failureOf(`UPDATE ${table} SET n = 2147483647 + n + 1 WHERE id = 1`),
  ],
  [
    'a data exception: a date it cannot store (22008)',
    400,
    'value_out_of_range',
    () => failureOf(`SELECT '0000-01-01'::timestamptz FROM ${table}`),
  ],
  ['a serialization failure (40001)', 409, 'transaction_conflict', serializationFailure],
  ['a refused connection (ECONNREFUSED)', 503, 'unavailable', connectionRefused],
  ['a connection lost mid-query', 503, 'unavailable', connectionLost],
  [
    'a statement timeout (57014)',
    503,
    'unavailable',
    () => failureOf('SET LOCAL statement_timeout = 20', 'SELECT pg_sleep(1)'),
  ],
  [
    'a check violation no use case expects (23514)',
    500,
    'internal',
    () =>
      failureOf(
        `ALTER TABLE ${table} ADD CONSTRAINT ${table}_small CHECK (n < 1000000) NOT VALID`,
        `UPDATE ${table} SET n = 1000000 WHERE id = 1`,
      ),
  ],
  ['an SQL syntax error (42601)', 500, 'internal', () => failureOf(`SELEC n FROM ${table}`)],
  [
    'a programming error',
    500,
    'internal',
    () => Promise.resolve(new TypeError("Cannot read properties of undefined (reading 'id')")),
  ],
];

test.each(cases)(
  'when %s reaches the top, then %i with code %s and no SQL in the body',
  async (name, status, code, raise) => {
    const error = await raise();
    // Each case raises the code its title names (none named: none), so none passes by accident.
    const named = /\((\w+)\)$/.exec(name)?.[1];
    expect((error as { original?: { code?: string } }).original?.code).toBe(named);
    const { problem, unexpected } = toProblem(error);
    expect(problem).toMatchObject({ status, code, type: problemType(code) });
    expect(unexpected).toBe(code === 'internal');
    const body = JSON.stringify(problem);
    for (const leak of [table, 'SELECT', 'UPDATE', 'INSERT', 'constraint', 'ECONNREFUSED']) {
      expect(body).not.toContain(leak);
    }
  },
);

test('when an unknown failure is mapped, then the body is the generic one, whatever it said', () => {
  const { problem } = toProblem(new Error(`relation "${table}" does not exist`));
  expect(problem).toEqual({
    type: problemType('internal'),
    title: 'Internal Server Error',
    status: 500,
    detail: 'An unexpected error occurred.',
    code: 'internal',
  });
});
