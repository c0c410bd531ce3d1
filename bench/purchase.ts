import { QueryTypes } from 'sequelize';
import { inParallel, send } from '../faults/support/load';
import type { Scenario } from '../faults/support/scenario';
import { sleep, waitFor } from '../test-support/eventually';
import type { Buyer } from '../faults/support/scenario';
import { cpuDuring, peakRssMb } from './process-stats';
import {
  body,
  catalogueAndBuyers,
  closeBenchScenario,
  CONNECTIONS,
  count,
  created,
  errors,
  latency,
  openBenchScenario,
  LIMITED_STOCK,
  percentile,
  ratePerSecond,
  round,
  ROUND_SECONDS,
  settle,
  SPREAD_PRODUCTS,
  spreadRound,
  startStack,
} from './purchase-load';
import type { Round } from './purchase-load';
import { measureRawCeiling } from './raw-purchase';
import type { BenchContext, BenchStep, StepResult } from './types';

/**
 * Steps 1-4 and 7 of `make bench`: POST /purchase against the real services (ecommerce, and the
 * payment gateway draining behind it), each figure next to its ceiling measured in the same run.
 */

const E2E_PURCHASES = Number(process.env.BENCH_E2E_PURCHASES ?? 2000);
const E2E_RATE = 100;
const RELAY_EVENTS = 20_000;

export const benchPurchase: BenchStep = async (context: BenchContext): Promise<StepResult> => {
  const port = Number(new URL(context.postgresUrl).port || 5432);
  const scenario = await openBenchScenario('bench', port);
  try {
    return await measure(context, scenario);
  } finally {
    await closeBenchScenario(scenario);
  }
};

async function measure(context: BenchContext, scenario: Scenario): Promise<StepResult> {
  const { shop, gateway } = await startStack(scenario);
  const { products, buyers } = await catalogueAndBuyers(scenario, shop.url);
  const rows: [string, string][] = [];
  const figures: Record<string, number> = {};

  context.log(`raw purchase SQL ceiling (node-postgres, pool 10, ${CONNECTIONS} in flight)`);
  const raw = await measureRawCeiling(scenario.ecommerceDbUrl, {
    products: products.spread,
    userId: await userIdOf(scenario, buyers[0]!.username),
    inFlight: CONNECTIONS,
    seconds: ROUND_SECONDS,
  });
  rows.push(['raw purchase SQL, spread', `${raw.toFixed(0)} /s`]);
  await settle(scenario);

  context.log('warm-up round (not counted)');
  await round(shop.url, buyers, () => products.spread[0]!, { seconds: 3 });
  await settle(scenario);

  // Each round starts level: what the previous one left to publish and book is done first.
  const cpu: Record<string, string> = {};
  const measured = async (what: string, load: () => Promise<Round>) => {
    context.log(`POST /purchase ${what}`);
    const { result, cores, machineBusy } = await cpuDuring(
      { ecommerce: shop.child.pid!, payment_gateway: gateway.child.pid! },
      load,
    );
    cpu[what] = `${Object.entries(cores)
      .map(([name, n]) => `${name} ${n}`)
      .join(', ')} cores; machine ${Math.round(machineBusy * 100)}% busy`;
    await settle(scenario);
    return result;
  };
  const backlog = sampleBacklog(scenario);
  const spread = await measured(`spread over ${SPREAD_PRODUCTS} products`, () =>
    spreadRound(shop.url, buyers, products.spread),
  );
  const relayDuringLoad = await backlog.stop();
  const hotRound = (pick: () => string) => () =>
    round(shop.url, buyers, pick, { seconds: ROUND_SECONDS });
  const hot = await measured(
    'one hot product, unlimited stock',
    hotRound(() => products.hot),
  );
  const limited = await measured(
    `one hot product, ${LIMITED_STOCK} in stock`,
    hotRound(() => products.limited),
  );
  const halfRate = Math.max(1, Math.floor(ratePerSecond(hot, ROUND_SECONDS) / 2));
  context.log(`POST /purchase one hot product, steady ${halfRate}/s (half that rate)`);
  const half = await steady(shop.url, buyers, () => products.hot, {
    rate: halfRate,
    count: halfRate * ROUND_SECONDS,
  });
  const halfLatencies = half.map((sale) => sale.latencyMs);
  await settle(scenario);

  const spreadRate = ratePerSecond(spread, ROUND_SECONDS);
  const hotRate = ratePerSecond(hot, ROUND_SECONDS);
  // Sold out before the round ended: the rate while there was stock.
  const limitedSeconds = Math.min(ROUND_SECONDS, Math.max(1, limited.lastCreatedMs / 1000));
  const limitedRate = created(limited) / limitedSeconds;
  const oversold = await stockCheck(scenario, products.limited);
  for (const [label, r, rate] of [
    ['spread', spread, spreadRate],
    ['hot, unlimited', hot, hotRate],
    ['hot, limited', limited, limitedRate],
  ] as const) {
    rows.push([`POST /purchase ${label}`, `${rate.toFixed(0)} /s, ${latency(r)}, ${errors(r)}`]);
  }
  rows.push([
    `POST /purchase hot, steady ${halfRate}/s`,
    `p50 ${ms(percentile(halfLatencies, 0.5))} / p99 ${ms(percentile(halfLatencies, 0.99))} / p99.9 ${ms(percentile(halfLatencies, 0.999))} ms, ${half.length} of ${halfRate * ROUND_SECONDS} placed`,
  ]);
  for (const [what, used] of Object.entries(cpu)) rows.push([`CPU, ${what}`, used]);
  rows.push([
    'limited stock',
    `${created(limited)} sold of ${LIMITED_STOCK}, ${limited.result['4xx']} refused (409), ${oversold.message}`,
  ]);
  Object.assign(figures, {
    purchase_raw_per_s: round1(raw),
    purchase_spread_per_s: round1(spreadRate),
    purchase_ratio_spread: round2(spreadRate / raw),
    purchase_ratio_hot: round2(hotRate / spreadRate),
    purchase_ratio_limited: round2(limitedRate / spreadRate),
    purchase_p99_half_load_ms: ms(percentile(halfLatencies, 0.99)),
    purchase_oversold: oversold.oversold,
  });

  for (const [what, value] of rows) context.log(`${what}: ${value}`);
  context.log(`purchase -> revenue: ${E2E_PURCHASES} purchases at ${E2E_RATE}/s`);
  const e2e = await purchaseToLedger(scenario, shop.url, buyers, products.spread);
  rows.push([
    'purchase -> ledger',
    `p50 ${e2e.p50} / p99 ${e2e.p99} / max ${e2e.max} ms over ${e2e.count}`,
  ]);
  Object.assign(figures, { e2e_p50_ms: e2e.p50, e2e_p99_ms: e2e.p99 });

  context.log(`outbox relay: ${RELAY_EVENTS} committed events`);
  const relay = await relayThroughput(scenario);
  rows.push([
    'outbox relay',
    `${relay.toFixed(0)} events/s; unpublished during the spread round: at most ${relayDuringLoad.maxBacklog}`,
  ]);
  Object.assign(figures, {
    relay_events_per_s: Math.round(relay),
    relay_backlog_max: relayDuringLoad.maxBacklog,
  });

  return {
    figures,
    rows,
    series: {
      'p99 ms per second, spread': spread.p99BySecond,
      'p99 ms per second, hot unlimited': hot.p99BySecond,
      'p99 ms per second, hot limited': limited.p99BySecond,
      'outbox backlog during spread': relayDuringLoad.series,
    },
    peakRssMb: {
      ecommerce: peakRssMb(shop.child.pid!),
      'payment_gateway (all)': peakRssMb(gateway.child.pid!),
    },
  };
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const ms = round1;
const round2 = (n: number) => Math.round(n * 100) / 100;

async function userIdOf(scenario: Scenario, username: string): Promise<string> {
  const [row] = await scenario.ecommerce.query<{ id: string }>(
    'SELECT id FROM users WHERE username = :username',
    { replacements: { username }, type: QueryTypes.SELECT },
  );
  return row!.id;
}

/** Stock left + units sold must be the stock there was; never below zero. */
async function stockCheck(scenario: Scenario, productId: string) {
  const [row] = await scenario.ecommerce.query<{ stock: number; sold: string }>(
    `SELECT p.stock, (SELECT coalesce(sum(i.quantity), 0) FROM purchase_items i
       JOIN purchases u ON u.id = i.purchase_id AND u.status = 'placed'
       WHERE i.product_id = p.id) AS sold
     FROM products p WHERE p.id = :productId`,
    { replacements: { productId }, type: QueryTypes.SELECT },
  );
  const sold = Number(row!.sold);
  const oversold = Math.max(0, sold - LIMITED_STOCK) + (row!.stock < 0 ? 1 : 0);
  const exact = row!.stock + sold === LIMITED_STOCK;
  return {
    oversold: exact ? oversold : Math.max(1, oversold),
    message: exact && oversold === 0 ? 'none oversold' : `STOCK DRIFT: ${row!.stock} + ${sold}`,
  };
}

const UNPUBLISHED = 'SELECT count(*) AS n FROM outbox_events WHERE published_at IS NULL';

/** Unpublished outbox events, sampled every 250 ms while a round runs. */
function sampleBacklog(scenario: Scenario) {
  const started = Date.now();
  const series: [number, number][] = [];
  let sampling = true;
  const loop = (async () => {
    while (sampling) {
      series.push([(Date.now() - started) / 1000, await count(scenario.ecommerce, UNPUBLISHED)]);
      await sleep(250);
    }
  })();
  return {
    async stop() {
      sampling = false;
      await loop;
      return {
        series,
        maxBacklog: Math.max(0, ...series.map(([, n]) => n)),
      };
    },
  };
}

interface SteadySale {
  purchaseId: string;
  answeredAt: number;
  latencyMs: number;
}

/**
 * An open-loop load: `count` purchases sent at evenly spaced instants, `rate` per second, each
 * on time whether or not earlier ones have been answered (autocannon's `overallRate` sends
 * each second's budget as a burst, which measures a full load for part of every second).
 * Returns the placed ones.
 */
async function steady(
  shopUrl: string,
  buyers: Buyer[],
  pick: (i: number) => string,
  options: { rate: number; count: number },
): Promise<SteadySale[]> {
  // As many in flight as it takes: each request starts at its instant.
  const outcomes = await inParallel(
    Array.from({ length: options.count }, (_, i) => i),
    { concurrency: options.count, perSecond: options.rate },
    (i) =>
      send(`${shopUrl}/purchase`, {
        method: 'POST',
        token: buyers[i % buyers.length]!.token,
        body: body(pick(i)),
      }),
  );
  return outcomes
    .filter((outcome) => outcome.status === 201)
    .map((outcome) => ({
      purchaseId: (JSON.parse(outcome.body) as { purchase_id: string }).purchase_id,
      answeredAt: outcome.startedAt + outcome.ms,
      latencyMs: outcome.ms,
    }));
}

/**
 * A steady E2E_RATE purchases/s; for each, the time from its 201 to its ledger line (booked_at
 * is stamped by the gateway's database, on the same machine's clock).
 */
async function purchaseToLedger(
  scenario: Scenario,
  shopUrl: string,
  buyers: Buyer[],
  products: string[],
) {
  const sent = await steady(shopUrl, buyers, (i) => products[i % products.length]!, {
    rate: E2E_RATE,
    count: E2E_PURCHASES,
  });
  const createdAt = new Map(sent.map((s) => [s.purchaseId, s.answeredAt]));
  const ids = [...createdAt.keys()];
  const booked = async () =>
    scenario.payments.query<{ purchase_id: string; booked_at: Date }>(
      `SELECT purchase_id, min(booked_at) AS booked_at FROM ledger_entries
       WHERE purchase_id IN (:ids) GROUP BY purchase_id`,
      { replacements: { ids }, type: QueryTypes.SELECT },
    );
  await waitFor('every purchase booked', async () => (await booked()).length === ids.length, {
    timeoutMs: 60_000,
  });
  const lags = (await booked()).map(
    (row) => row.booked_at.getTime() - createdAt.get(row.purchase_id)!,
  );
  return {
    count: lags.length,
    p50: Math.max(0, percentile(lags, 0.5)),
    p99: Math.max(0, percentile(lags, 0.99)),
    max: Math.max(...lags),
  };
}

/**
 * RELAY_EVENTS committed outbox events at once, as a backlog after an SNS outage would be
 * (copies of the rounds' events with fresh event ids: the ledger books each sale once still):
 * events/s until the last is published.
 */
async function relayThroughput(scenario: Scenario): Promise<number> {
  await scenario.ecommerce.query(
    `INSERT INTO outbox_events (id, purchase_id, event_type, payload)
     SELECT id, purchase_id, event_type, jsonb_set(payload, '{event_id}', to_jsonb(id::text))
     FROM (SELECT gen_random_uuid() AS id, o.purchase_id, o.event_type, o.payload
           FROM outbox_events o CROSS JOIN generate_series(1, 100)
           WHERE o.event_type = 'order_placed' LIMIT :count) AS copies`,
    { replacements: { count: RELAY_EVENTS } },
  );
  const started = Date.now();
  const published = async () => (await count(scenario.ecommerce, UNPUBLISHED)) === 0;
  await waitFor('the outbox published', published, { timeoutMs: 120_000, intervalMs: 50 });
  return RELAY_EVENTS / ((Date.now() - started) / 1000);
}
