import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';

/**
 * After a project's whole suite: no card number, CVV, password or token in its test database
 * or in any log line its tests captured. What is looked for:
 * - the card numbers the tests pay with (spaces and dashes ignored) and the plaintext
 *   passwords they register and log in with;
 * - anything shaped like a JWT (`eyJ….eyJ….…`);
 * - a field named password, cvv, card_number, token or authorization whose value is not
 *   `[redacted]` (log lines), or that appears at all in a stored row (JSON columns included);
 * - a `users.password_hash` that is not a bcrypt hash.
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
];
const JWT = /eyJ[\w-]{5,}\.eyJ[\w-]{5,}\.[\w-]*/;
const SECRET_FIELD = /^(password|cvv|card_number|token|authorization)$/i;
const SECRET_FIELD_IN_JSON = /"(password|cvv|card_number|token|authorization)"\s*:/i;
const BCRYPT_HASH = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

export interface Finding {
  where: string;
  what: string;
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
export async function scanDatabase(url: string): Promise<Finding[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ name: string }>(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'",
    );
    const findings: Finding[] = [];
    for (const { name } of tables.rows) {
      const rows = await client.query<{ row: string }>(
        `SELECT row_to_json(t)::text AS row FROM "${name}" t`,
      );
      for (const { row } of rows.rows) {
        const where = `${new URL(url).pathname.slice(1)}.${name}`;
        findings.push(...scanText(where, row));
        const field = SECRET_FIELD_IN_JSON.exec(row);
        if (field) findings.push({ where, what: `a stored field named ${field[1]}` });
      }
    }
    const hashes = tables.rows.some((t) => t.name === 'users')
      ? await client.query<{ password_hash: string }>('SELECT password_hash FROM users')
      : { rows: [] };
    for (const { password_hash } of hashes.rows) {
      if (!BCRYPT_HASH.test(password_hash)) {
        findings.push({ where: 'users.password_hash', what: 'a value that is not a bcrypt hash' });
      }
    }
    return findings;
  } finally {
    await client.end();
  }
}

/** Every line in the directory's log files (see log-capture). */
export function scanLogs(dir: string): { lines: number; findings: Finding[] } {
  if (!existsSync(dir)) return { lines: 0, findings: [] };
  let lines = 0;
  const findings: Finding[] = [];
  for (const file of readdirSync(dir)) {
    for (const line of readFileSync(path.join(dir, file), 'utf8').split('\n')) {
      if (line === '') continue;
      lines++;
      const where = `log ${file}`;
      findings.push(...scanText(where, line));
      try {
        for (const field of secretFields(JSON.parse(line))) {
          findings.push({ where, what: `an unredacted field ${field}` });
        }
      } catch {
        findings.push({ where, what: 'a line that is not JSON' });
      }
    }
  }
  return { lines, findings };
}

/** Throws (failing the run) when the database or the captured logs hold a secret. */
export async function assertNoSecrets(project: string, databaseUrl: string, logDir: string) {
  const findings = [...(await scanDatabase(databaseUrl)), ...scanLogs(logDir).findings];
  if (findings.length > 0) {
    const shown = findings.slice(0, 20).map((f) => `  - ${f.what} in ${f.where}`);
    throw new Error(
      `${project}: ${findings.length} secret(s) left after the suite:\n${shown.join('\n')}`,
    );
  }
}
