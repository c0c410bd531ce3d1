import { generateKeyPairSync, randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { Client } from 'pg';
import { prepareDatabase } from '../payment_gateway/src/data/database';
import { encodeCursor } from '../payment_gateway/src/data/ledger-repository';
import { FILL_SELLER_DAILY_TOTALS } from '../payment_gateway/src/data/migrations/0002-seller-daily-totals';
import { dropDatabase, recreateDatabase } from '../test-support/database';
import { startService, stopService } from '../test-support/service-process';
import { signToken } from '../test-support/tokens';
import { peakRssMb } from './process-stats';
import type { BenchStep, StepResult } from './types';

/** Ledger sizes of the measured seller, in order: each step adds the difference. */
const SIZES: [label: string, entries: number][] = [
  ['10k', 10_000],
  ['100k', 100_000],
  ['1m', 1_000_000],
];
const NOISE_SELLERS = 4;
const NOISE_ENTRIES_EACH = 25_000;
/** Every seller's purchases spread over the same two years, whatever the ledger size. */
const SPAN_DAYS = 730;
const DURATION_S = 5;

/**
 * Entries (from, to] of one seller, made in SQL: entry g is a purchase placed on a
 * pseudo-random instant of the span, except every 10th, which cancels the purchase before it
 * (same purchase, date and amount, negated), as the drain books them.
 */
const LOAD_ENTRIES = `
  INSERT INTO ledger_entries
    (purchase_id, seller_id, event_type, event_id, amount, currency, purchase_date)
  SELECT md5($1 || '/' || k)::uuid, $1::uuid,
         CASE WHEN cancels THEN 'order_cancelled' ELSE 'order_placed' END,
         gen_random_uuid(),
         (CASE WHEN cancels THEN -1 ELSE 1 END) * (100 + (k * 7919) % 50000),
         'BRL',
         timestamptz '2024-01-01 00:00:00Z' + ((k * 2654435761) % ($4 * 86400)) * interval '1 second'
  FROM (SELECT g % 10 = 0 AS cancels, CASE WHEN g % 10 = 0 THEN g - 1 ELSE g END AS k
        FROM generate_series($2::bigint + 1, $3::bigint) AS g) AS series`;

/**
 * GET /revenue/:seller_id at 10k, 100k and 1M ledger entries of one seller (among other
 * sellers' entries): p50/p99 under 10 connections, plus one entries page deep in the list,
 * by cursor and by offset. The entries are loaded with SQL, then the daily totals rebuilt
 * from them with the statement of the migration's backfill.
 */
export const benchRevenue: BenchStep = async (context) => {
  const databaseUrl = `${context.postgresUrl}/payments_bench_revenue`;
  context.log('revenue: creating payments_bench_revenue');
  await recreateDatabase(databaseUrl, prepareDatabase);
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const keys = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const seller = randomUUID();
  const token = signToken(keys.privateKey, {
    sub: randomUUID(),
    username: 'bench-seller',
    role: 'seller',
    seller_id: seller,
  });
  const headers = { authorization: `Bearer ${token}` };
  const service = await startService(
    'payment_gateway/dist/main.js',
    {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      RUN_MODE: 'api',
      DATABASE_URL: databaseUrl,
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      BULLMQ_PREFIX: 'bench-revenue',
      JWT_PUBLIC_KEY: keys.publicKey,
      AWS_REGION: 'us-east-1',
      // The API never calls SQS; /health (not /ready) tells when it listens.
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    },
    { readyPath: '/health', timeoutMs: 60_000 },
  );
  const result: StepResult = { figures: {}, rows: [], series: {} };
  const p99Series: [number, number][] = [];
  try {
    for (let i = 0; i < NOISE_SELLERS; i++) {
      await db.query(LOAD_ENTRIES, [randomUUID(), 0, NOISE_ENTRIES_EACH, SPAN_DAYS]);
    }
    let loaded = 0;
    for (const [label, size] of SIZES) {
      const started = Date.now();
      await db.query(LOAD_ENTRIES, [seller, loaded, size, SPAN_DAYS]);
      loaded = size;
      await db.query(`TRUNCATE seller_daily_totals; ${FILL_SELLER_DAILY_TOTALS}`);
      // As autovacuum would after such a load (it would otherwise run during the measurement).
      await db.query('VACUUM ANALYZE ledger_entries, seller_daily_totals');
      context.log(`revenue: ${label} entries loaded in ${Date.now() - started} ms`);

      const revenueUrl = `${service.url}/revenue/${seller}`;
      const check = await fetch(revenueUrl, { headers });
      if (check.status !== 200) throw new Error(`GET /revenue: ${check.status}`);
      // Warm-up (JIT, connection pool), not measured.
      await autocannon({ url: revenueUrl, connections: 10, duration: 1, headers });
      const run = await autocannon({
        url: revenueUrl,
        connections: 10,
        duration: DURATION_S,
        headers,
      });
      if (run.errors + run.timeouts + run.non2xx > 0) {
        throw new Error(`GET /revenue failed under load: ${JSON.stringify(run)}`);
      }
      result.figures[`revenue_p50_ms_${label}`] = run.latency.p50;
      result.figures[`revenue_p99_ms_${label}`] = run.latency.p99;
      p99Series.push([size, run.latency.p99]);
      result.rows.push([
        `GET /revenue p50 / p99 at ${label} entries`,
        `${run.latency.p50} / ${run.latency.p99} ms (${Math.round(run.requests.average)} req/s)`,
      ]);

      // A range with partial days at both ends (whole days from the totals in between).
      const rangedMs = await medianMs(
        `${revenueUrl}?from=2024-03-01T10:30:00Z&to=2025-09-15T17:45:00Z`,
        headers,
      );
      result.figures[`revenue_ranged_ms_${label}`] = rangedMs;
      result.rows.push([
        `GET /revenue with instant from/to at ${label} (median of 5)`,
        `${rangedMs} ms`,
      ]);

      const deep = Math.floor(size * 0.9);
      const { rows } = await db.query<{ id: string }>(
        `SELECT id FROM ledger_entries WHERE seller_id = $1
         ORDER BY purchase_date DESC, booked_at DESC, id DESC OFFSET $2 LIMIT 1`,
        [seller, deep - 1],
      );
      const entriesUrl = `${service.url}/revenue/${seller}/entries?limit=50`;
      const cursorMs = await medianMs(`${entriesUrl}&cursor=${encodeCursor(rows[0]!.id)}`, headers);
      const offsetMs = await medianMs(`${entriesUrl}&offset=${deep}`, headers);
      result.figures[`entries_cursor_page_ms_${label}`] = cursorMs;
      result.figures[`entries_offset_page_ms_${label}`] = offsetMs;
      result.rows.push([
        `entries page at line ${deep}, by cursor / by offset (median of 5)`,
        `${cursorMs} / ${offsetMs} ms`,
      ]);
      context.log(
        `revenue: ${label}: p99 ${run.latency.p99} ms, deep page ${cursorMs} ms by cursor, ${offsetMs} ms by offset`,
      );
    }
    result.series = { 'revenue p99 ms by ledger entries': p99Series };
    result.peakRssMb = { 'payment_gateway api': peakRssMb(service.child.pid!) };
    return result;
  } finally {
    await stopService(service);
    await db.end();
    await dropDatabase(databaseUrl);
  }
};

/** Median time of 5 sequential GETs (after one warm-up), in ms. */
async function medianMs(url: string, headers: Record<string, string>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 6; i++) {
    const started = performance.now();
    const res = await fetch(url, { headers });
    if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
    if (i > 0) times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return Math.round(times[2]! * 10) / 10;
}
