import { readFileSync } from 'node:fs';
import path from 'node:path';
import { errorCodes, statusOf } from '@marketplace/common';
import request from 'supertest';
import { startTestApp } from './support/test-app';
import type { TestApp } from './support/test-app';

/**
 * The closed set of error codes is published three times: in ERROR_CODES (common), in the
 * OpenAPI document's Problem schema and in README's "Error codes" table. They cannot drift.
 */
const readme = readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');

/** README's "Error codes" table, as [code, status] rows. */
function documentedCodes(): [string, number][] {
  const section = /^## Error codes\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1] ?? '';
  const rows = [...section.matchAll(/^\| `(\w+)` +\| (\d{3}) +\|/gm)];
  return rows.map(([, code, status]) => [code!, Number(status)]);
}

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

test('when README is read, then its error code table lists every code once, with its status', () => {
  const rows = documentedCodes();
  expect(new Map(rows)).toEqual(new Map(errorCodes.map((code) => [code, statusOf(code)])));
  expect(rows).toHaveLength(errorCodes.length);
});

test('when the OpenAPI document is read, then its Problem schema requires a code from the set', async () => {
  const { body } = await request(t.app).get('/openapi.json').expect(200);
  const schema = body.components.schemas.Problem;
  expect(schema.required).toEqual(expect.arrayContaining(['type', 'code']));
  expect(schema.properties.code.enum).toEqual(errorCodes);
});
