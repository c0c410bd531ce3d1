import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import {
  dropDatabase,
  isTestDatabase,
  listDatabases,
  testDatabaseUrl,
  testServerUrl,
} from '../test-support/database';
import {
  assertNoSecrets,
  scanDatabase,
  scanForSecrets,
  scanLogs,
} from '../test-support/secret-scan';
import type { ScanReport } from '../test-support/secret-scan';

/**
 * The end-of-run secret scan (test-support/secret-scan.ts) must find what it looks for, in a
 * database row and in a log line, and pass clean data. What it is shown here is planted in a
 * database of this file's own, named outside the test databases' convention so that the run's
 * own scan never meets it, and in a log folder of its own.
 */
const suffix = process.env.TEST_DB_SUFFIX ?? '';
const probeUrl = `${testServerUrl()}/secret_scan_probe${suffix}`;
let db: Client;
let logDir: string;

const CARD = '4111 1111 1111 1111';
/** Shaped like bcrypt's output: $2b$, cost, 22 characters of salt and 31 of hash. */
const BCRYPT_HASH = `$2b$04$${'N9qo8uLOickgx2ZMRZoMye'}${'IjZAgcfl7p92ldGxad68LJZdL17lhWy'}`;
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const JWT = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ sub: 'james' })}.c2lnbmF0dXJlLWJ5dGVz`;

beforeAll(async () => {
  await dropDatabase(probeUrl);
  const admin = new Client({ connectionString: `${testServerUrl()}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE "secret_scan_probe${suffix}"`);
  await admin.end();
  db = new Client({ connectionString: probeUrl });
  await db.connect();
  await db.query(`CREATE TABLE users (id serial PRIMARY KEY, username text, password_hash text);
    CREATE TABLE notes (id serial PRIMARY KEY, body text, payload jsonb)`);
});

afterAll(async () => {
  await db?.end();
  await dropDatabase(probeUrl);
});

beforeEach(async () => {
  await db.query('TRUNCATE users, notes');
  logDir = mkdtempSync(path.join(tmpdir(), 'secret-scan-test-'));
});

afterEach(() => rmSync(logDir, { recursive: true, force: true }));

const user = (username: string, passwordHash: string) =>
  db.query('INSERT INTO users (username, password_hash) VALUES ($1, $2)', [username, passwordHash]);
const note = (body: string, payload: object = {}) =>
  db.query('INSERT INTO notes (body, payload) VALUES ($1, $2)', [body, payload]);
const findings = async () => (await scanDatabase(probeUrl)).findings.map((f) => f.what);

const logLines = (file: string, lines: (object | string)[]) =>
  writeFileSync(
    path.join(logDir, file),
    lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n',
  );
const logFindings = () => scanLogs(logDir).findings.map((f) => `${f.what} in ${f.where}`);

describe('a database row', () => {
  test.each([
    ['a card number (spaced)', () => note(`paid with ${CARD}`), /^card number 4111111111111111$/],
    [
      'a CVV field in a JSON column',
      () => note('a purchase', { credit_card: { cvv: '789' } }),
      /^a stored field named cvv$/,
    ],
    [
      'a bcrypt password hash outside users.password_hash',
      () => note(`login failed for ${BCRYPT_HASH}`),
      /^password hash \$2b\$04\$/,
    ],
    ['a JWT', () => note(`Bearer ${JWT}`), /^token eyJ/],
    ['a plaintext password of the tests', () => note('james1234'), /^password james1234$/],
  ])('when a row holds %s, then the scan finds it', async (_what, plant, expected) => {
    await user('james', BCRYPT_HASH);
    await plant();
    expect(await findings()).toEqual([expect.stringMatching(expected)]);
  });

  test('when users.password_hash is not a bcrypt hash (a password stored as is), then the scan finds it', async () => {
    await user('james', 'not-a-hash');
    expect(await findings()).toEqual(['a value that is not a bcrypt hash']);
  });

  test('when the rows are clean (a user with its bcrypt hash, a note without secrets), then nothing is found', async () => {
    await user('james', BCRYPT_HASH);
    await note('card ending 1111', { last4: '1111', status: 'paid' });
    const scan = await scanDatabase(probeUrl);
    expect(scan).toEqual({ rows: 2, findings: [] });
  });
});

describe('a log file', () => {
  test.each([
    ['a card number', { msg: `charged ${CARD}` }, /^card number 4111111111111111 in log/],
    [
      'an unredacted cvv field',
      { req: { body: { cvv: '789' } } },
      /^an unredacted field req\.body\.cvv in log/,
    ],
    [
      'a bcrypt hash (SQL with its bound values)',
      { err: { sql: `INSERT INTO users VALUES ('${BCRYPT_HASH}')` } },
      /^password hash \$2b\$04\$.* in log/,
    ],
    ['a JWT', { msg: `token was ${JWT}` }, /^token eyJ.* in log/],
  ])('when a line holds %s, then the scan finds it', (_what, line, expected) => {
    logLines('worker-1.log', [{ msg: 'fine' }, line]);
    expect(logFindings()).toEqual([expect.stringMatching(expected)]);
  });

  test('when a JSON log line is not JSON, then the scan says so', () => {
    logLines('worker-1.log', ['card declined']);
    expect(logFindings()).toEqual(['a line that is not JSON in log worker-1.log']);
  });

  test("when a process's stderr (raw text) holds a card number, then the scan finds it there", () => {
    logLines('ecommerce-7.stderr', ['(node:7) Warning: something', `card ${CARD}`]);
    expect(logFindings()).toEqual(['card number 4111111111111111 in log ecommerce-7.stderr']);
  });

  test('when the lines are clean, redacted fields included, then nothing is found', () => {
    logLines('worker-1.log', [
      { msg: 'request completed', req: { headers: { authorization: '[redacted]' } } },
      { msg: 'purchase placed', credit_card: { card_number: '[redacted]', cvv: '[redacted]' } },
    ]);
    expect(scanLogs(logDir)).toEqual({ files: 1, lines: 2, findings: [] });
  });

  test('when the log folder is missing, then the scan fails instead of passing', () => {
    expect(() => scanLogs(path.join(logDir, 'missing'))).toThrow(/log folder .* is missing/);
    expect(() => scanLogs(undefined)).toThrow(/is missing/);
  });
});

describe('the verdict', () => {
  const report = (lines: number, found = 0): ScanReport => ({
    databases: [{ name: 'ecommerce_test', rows: 3 }],
    logs: [{ dir: '/tmp/logs', files: lines > 0 ? 1 : 0, lines }],
    findings: Array.from({ length: found }, () => ({ where: 'log w.log', what: 'token eyJ…' })),
  });
  let printed: string[];
  beforeEach(() => {
    printed = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((text) => {
      printed.push(String(text));
      return true;
    });
  });
  afterEach(() => jest.restoreAllMocks());

  test('when something was found, then it fails naming it', () => {
    expect(() => assertNoSecrets('the test run', report(5, 1), { expectLogs: true })).toThrow(
      'the test run: 1 secret(s) left after the suite:\n  - token eyJ… in log w.log',
    );
  });

  test('when the whole suite ran and not one log line was captured, then it fails', () => {
    expect(() => assertNoSecrets('the test run', report(0), { expectLogs: true })).toThrow(
      /not one log line in \/tmp\/logs/,
    );
  });

  test('when there was no database to scan, then it fails', () => {
    expect(() =>
      assertNoSecrets('the test run', { ...report(5), databases: [] }, { expectLogs: true }),
    ).toThrow(/no database/);
  });

  test('when clean, then it passes and says what it covered; a filtered run may have no log line', () => {
    assertNoSecrets('the test run', report(5), { expectLogs: true });
    assertNoSecrets('the test run', report(0), { expectLogs: false });
    expect(printed).toEqual([
      'the test run: secret scan clean: 1 databases (3 rows), 1 log files (5 lines)\n',
      'the test run: secret scan clean: 1 databases (3 rows), 0 log files (0 lines), no log line captured by this filtered run\n',
    ]);
  });
});

describe("the run's databases", () => {
  test('when named, then every test database follows the convention the scan finds them by', () => {
    expect(() => testDatabaseUrl('payments_backfill')).toThrow(/must be named like/);
    for (const name of ['ecommerce_test', 'payments_reconcile_test', 'ecommerce_e2e_test']) {
      expect(isTestDatabase(new URL(testDatabaseUrl(name)).pathname.slice(1))).toBe(true);
    }
  });

  test("when listing, then this checkout's test databases are found and no other", async () => {
    expect(isTestDatabase(`secret_scan_probe${suffix}`)).toBe(false);
    expect(isTestDatabase(`ecommerce_test${suffix}_other`)).toBe(false); // another checkout's
    const found = await listDatabases(testServerUrl(), isTestDatabase);
    expect(found).toEqual(
      expect.arrayContaining([
        process.env.TEST_E2E_ECOMMERCE_DATABASE_URL,
        process.env.TEST_E2E_PAYMENTS_DATABASE_URL,
      ]),
    );
    expect(found).not.toContain(probeUrl);
  });

  test('when a planted database and log folder are scanned together, then each finding names where it is', async () => {
    await user('james', BCRYPT_HASH);
    await note(`Bearer ${JWT}`);
    logLines('shop-1.log', [{ msg: `password james1234` }]);
    const report = await scanForSecrets({ databaseUrls: [probeUrl], logDirs: [logDir] });
    expect(report.findings).toEqual([
      { where: `secret_scan_probe${suffix}.notes`, what: expect.stringMatching(/^token eyJ/) },
      { where: 'log shop-1.log', what: 'password james1234' },
    ]);
    expect(report.databases).toEqual([{ name: `secret_scan_probe${suffix}`, rows: 2 }]);
  });
});
