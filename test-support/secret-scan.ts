import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { isTestDatabase, listDatabases, testServerUrl } from './database';

/**
 * After a whole run: no card number, CVV, password or token in a test database or in any log
 * line the run captured. What is looked for:
 * - the card numbers the tests pay with (spaces and dashes ignored) and the plaintext
 *   passwords they register and log in with;
 * - anything shaped like a JWT (`eyJ….eyJ….…`) or a bcrypt hash (`$2b$12$…`), except the
 *   bcrypt hash in `users.password_hash`, which must be one;
 * - a field named password, cvv, card_number, token or authorization whose value is not
 *   `[redacted]` (log lines), or that appears at all in a stored row (JSON columns included).
 */
export const TEST_CARD_NUMBERS = ['4111111111111111', '5555555555554444', '4000056655665556'];
export const TEST_PASSWORDS = [
  'correct-horse-battery',
  'admin-password-1',
  'alderaan77',
  'password123',
  'longenough1',
  'james1234',
  'mayara123',
  'seller1234',
  'wrong-password',
  'wrong-one',
  'nope-nope',
  'not-the-password',
  'faults-password',
];
const JWT = /eyJ[\w-]{5,}\.eyJ[\w-]{5,}\.[\w-]*/;
const SECRET_FIELD = /^(password|cvv|card_number|token|authorization)$/i;
const SECRET_FIELD_IN_JSON = /"(password|cvv|card_number|token|authorization)"\s*:/i;
const BCRYPT_HASH = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;
const BCRYPT_HASH_IN_TEXT = /\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}/;

export interface Finding {
  where: string;
  what: string;
}

export interface ScanReport {
  /** The databases scanned, by name, with how many rows each held. */
  databases: { name: string; rows: number }[];
  /** The log folders scanned, with their files and lines. */
  logs: { dir: string; files: number; lines: number }[];
  findings: Finding[];
}

function scanText(where: string, text: string): Finding[] {
  const findings: Finding[] = [];
  const digits = text.replace(/(\d)[ -](?=\d)/g, '$1');
  for (const number of TEST_CARD_NUMBERS) {
    if (digits.includes(number)) findings.push({ where, what: `card number ${number}` });
  }
  for (const password of TEST_PASSWORDS) {
    if (text.includes(password)) findings.push({ where, what: `password ${password}` });
  }
  const token = JWT.exec(text);
  if (token) findings.push({ where, what: `token ${token[0].slice(0, 24)}…` });
  const hash = BCRYPT_HASH_IN_TEXT.exec(text);
  if (hash) findings.push({ where, what: `password hash ${hash[0].slice(0, 12)}…` });
  return findings;
}

function secretFields(node: unknown, trail: string[] = []): string[] {
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, value]) =>
    SECRET_FIELD.test(key) && value !== '[redacted]'
      ? [[...trail, key].join('.')]
      : secretFields(value, [...trail, key]),
  );
}

/** Every row of every table in the database's public schema. */
export async function scanDatabase(url: string): Promise<{ rows: number; findings: Finding[] }> {
  const database = new URL(url).pathname.slice(1);
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ name: string }>(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'",
    );
    const findings: Finding[] = [];
    let count = 0;
    for (const { name } of tables.rows) {
      const where = `${database}.${name}`;
      const rows = await client.query<{ row: Record<string, unknown> }>(
        `SELECT row_to_json(t) AS row FROM "${name}" t`,
      );
      count += rows.rows.length;
      for (const { row } of rows.rows) {
        const { password_hash: passwordHash, ...rest } = row;
        if (name === 'users') {
          if (typeof passwordHash !== 'string' || !BCRYPT_HASH.test(passwordHash)) {
            findings.push({
              where: `${where}.password_hash`,
              what: 'a value that is not a bcrypt hash',
            });
          }
        }
        const text = JSON.stringify(name === 'users' ? rest : row);
        findings.push(...scanText(where, text));
        const field = SECRET_FIELD_IN_JSON.exec(text);
        if (field) findings.push({ where, what: `a stored field named ${field[1]}` });
      }
    }
    return { rows: count, findings };
  } finally {
    await client.end();
  }
}

/**
 * Every line of every file in a log folder: `*.log` files hold JSON lines (pino's, see
 * log-capture and service-process), other files raw text (a process's stderr). A folder that
 * is not there is an error: logs were expected in it.
 */
export function scanLogs(dir: string | undefined): {
  files: number;
  lines: number;
  findings: Finding[];
} {
  if (!dir || !existsSync(dir)) {
    throw new Error(`secret scan: the log folder ${dir} is missing, so no log was captured`);
  }
  let files = 0;
  let lines = 0;
  const findings: Finding[] = [];
  for (const file of readdirSync(dir)) {
    const full = path.join(dir, file);
    if (!statSync(full).isFile()) continue;
    files++;
    const json = file.endsWith('.log');
    for (const line of readFileSync(full, 'utf8').split('\n')) {
      if (line === '') continue;
      lines++;
      const where = `log ${file}`;
      findings.push(...scanText(where, line));
      if (!json) continue;
      try {
        for (const field of secretFields(JSON.parse(line))) {
          findings.push({ where, what: `an unredacted field ${field}` });
        }
      } catch {
        findings.push({ where, what: 'a line that is not JSON' });
      }
    }
  }
  return { files, lines, findings };
}

export async function scanForSecrets(sources: {
  databaseUrls: string[];
  logDirs: string[];
}): Promise<ScanReport> {
  const report: ScanReport = { databases: [], logs: [], findings: [] };
  for (const url of sources.databaseUrls) {
    const { rows, findings } = await scanDatabase(url);
    report.databases.push({ name: new URL(url).pathname.slice(1), rows });
    report.findings.push(...findings);
  }
  for (const dir of sources.logDirs) {
    const { files, lines, findings } = scanLogs(dir);
    report.logs.push({ dir, files, lines });
    report.findings.push(...findings);
  }
  return report;
}

/**
 * Throws (failing the run) when the scan found a secret, or found nothing to scan where
 * something was expected: no database, or, when `expectLogs` (the whole suite ran), not one
 * log line. Otherwise prints what it covered.
 */
export function assertNoSecrets(
  label: string,
  report: ScanReport,
  options: { expectLogs: boolean },
): void {
  if (report.findings.length > 0) {
    const shown = report.findings.slice(0, 20).map((f) => `  - ${f.what} in ${f.where}`);
    throw new Error(
      `${label}: ${report.findings.length} secret(s) left after the suite:\n${shown.join('\n')}`,
    );
  }
  const rows = report.databases.reduce((sum, d) => sum + d.rows, 0);
  const files = report.logs.reduce((sum, l) => sum + l.files, 0);
  const lines = report.logs.reduce((sum, l) => sum + l.lines, 0);
  if (report.databases.length === 0) {
    throw new Error(`${label}: secret scan found no database to scan`);
  }
  if (options.expectLogs && lines === 0) {
    throw new Error(
      `${label}: secret scan found not one log line in ${report.logs.map((l) => l.dir).join(', ')} after the whole suite: is log capture broken?`,
    );
  }
  process.stdout.write(
    `${label}: secret scan clean: ${report.databases.length} databases (${rows} rows), ` +
      `${files} log files (${lines} lines)${lines === 0 ? ', no log line captured by this filtered run' : ''}\n`,
  );
}

/**
 * The parts of Jest's global config (handed to global setups and teardowns) that tell a whole
 * run from a filtered one.
 */
export interface RunFilters {
  testPathPattern?: string;
  testNamePattern?: string;
  onlyChanged?: boolean;
  onlyFailures?: boolean;
  changedSince?: string;
  findRelatedTests?: boolean;
  lastCommit?: boolean;
}

/** Whether every test of the selected projects ran (`--selectProjects` alone filters none). */
export const isWholeRun = (filters: RunFilters = {}) =>
  !filters.testPathPattern &&
  !filters.testNamePattern &&
  !filters.onlyChanged &&
  !filters.onlyFailures &&
  !filters.changedSince &&
  !filters.findRelatedTests &&
  !filters.lastCommit;

interface RunScan {
  projects: number;
  logDirs: Set<string>;
  databaseUrls: Set<string>;
}

/** Shared by every project's setup and teardown: Jest runs them all in its main process. */
function runScan(): RunScan {
  const global = globalThis as { __marketplaceSecretScan__?: RunScan };
  global.__marketplaceSecretScan__ ??= { projects: 0, logDirs: new Set(), databaseUrls: new Set() };
  return global.__marketplaceSecretScan__;
}

/**
 * For a project's global setup: at the end of the run, its log folder is scanned, and its own
 * databases must be among those the naming convention finds (a check on the convention).
 */
export function scanAtEndOfRun(project: { logDir: string; databaseUrls: string[] }): void {
  const scan = runScan();
  scan.projects += 1;
  scan.logDirs.add(project.logDir);
  for (const url of project.databaseUrls) scan.databaseUrls.add(url);
}

/**
 * For a project's global teardown. Every project's setup runs before any test and every
 * teardown after all of them, so the last teardown scans the whole run, once: every test
 * database of this checkout on the test server (database.ts names them all alike, however
 * many a test creates) and every project's log folder (its in-process apps' logs and the
 * output of the service processes it started).
 */
export async function scanRunAtLastTeardown(filters: RunFilters): Promise<void> {
  const scan = runScan();
  scan.projects -= 1;
  if (scan.projects > 0) return;
  const databaseUrls = await listDatabases(testServerUrl(), isTestDatabase);
  const unseen = [...scan.databaseUrls].filter((url) => !databaseUrls.includes(url));
  if (unseen.length > 0) {
    throw new Error(`secret scan: the naming convention misses ${unseen.join(', ')}`);
  }
  const report = await scanForSecrets({ databaseUrls, logDirs: [...scan.logDirs] });
  assertNoSecrets('the test run', report, { expectLogs: isWholeRun(filters) });
}
