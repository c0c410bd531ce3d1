import autocannon from 'autocannon';
import type { Instance, Result } from 'autocannon';
import { QueryTypes } from 'sequelize';
import { PostgresCluster } from '../faults/support/infrastructure';
import { Scenario } from '../faults/support/scenario';
import type { Buyer } from '../faults/support/scenario';
import { dropDatabase } from '../test-support/database';
import { waitFor } from '../test-support/eventually';
import type { Env } from '../test-support/test-env';
import type { ServiceProcess } from '../test-support/service-process';

/**
 * The POST /purchase load the `purchase` and `tracing` steps share: the stack as the purchase
 * step starts it, the catalogue, one autocannon round with RS256 tokens, the settle between
 * rounds.
 */

export const CONNECTIONS = 50;
export const ROUND_SECONDS = Number(process.env.BENCH_ROUND_SECONDS ?? 10);
export const SPREAD_PRODUCTS = 200;
export const LIMITED_STOCK = 10_000;
const CARD = {
  card_number: '4111111111111111',
  cvv: '123',
  card_holder_name: 'Bench',
  exp_date: '12/49',
};

export interface Catalogue {
  spread: string[];
  hot: string;
  limited: string;
  sellerOf: Map<string, string>;
}

export const body = (productId: string, quantity = 1) =>
  JSON.stringify({ products: [{ product_id: productId, quantity }], credit_card: CARD });

export async function api<T>(
  url: string,
  path: string,
  payload: unknown,
  token?: string,
): Promise<T> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(payload),
  });
  if (res.status >= 300) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/**
 * The shop and the payment gateway (draining behind it) as the purchase step runs them: what
 * `make run` runs (development defaults, info logs), the gateway polling every second.
 */
/** A bench scenario on the shared PostgreSQL (the one `make bench` was given), named `name`. */
export function openBenchScenario(name: string, postgresPort: number): Promise<Scenario> {
  return Scenario.open(name, new PostgresCluster('(shared)', postgresPort));
}

/** Stops what a bench scenario runs and drops its two databases. */
export async function closeBenchScenario(scenario: Scenario): Promise<void> {
  await scenario.close();
  await dropDatabase(scenario.ecommerceDbUrl);
  await dropDatabase(scenario.paymentsDbUrl);
}

/** The two services of a bench stack. */
export type Stack = Awaited<ReturnType<typeof startStack>>;

export async function startStack(
  scenario: Scenario,
  env: { shop?: Env; gateway?: Env } = {},
): Promise<{ shop: ServiceProcess; gateway: ServiceProcess }> {
  const asMakeRun = { NODE_ENV: 'development', LOG_LEVEL: 'info', BCRYPT_ROUNDS: '10' };
  const shop = await scenario.startShop({ ...asMakeRun, ...env.shop });
  const gateway = await scenario.startGateway({
    ...asMakeRun,
    POLL_INTERVAL_MS: '1000',
    ...env.gateway,
  });
  return { shop, gateway };
}

/** The fixtures' admin's token (creates sellers and products). */
export async function adminToken(shopUrl: string): Promise<string> {
  return (
    await api<{ token: string }>(shopUrl, '/login', {
      username: 'mayara',
      password: 'mayara123',
    })
  ).token;
}

/** Two sellers, the spread products, one hot product without a stock limit, one with. */
export async function catalogue(shopUrl: string, admin: string): Promise<Catalogue> {
  const sellers = await Promise.all(
    ['Bench A', 'Bench B'].map((name) =>
      api<{ seller_id: string }>(shopUrl, '/seller', { name }, admin),
    ),
  );
  const sellerOf = new Map<string, string>();
  const product = async (title: string, sellerId: string, stock?: number) => {
    const { product_id } = await api<{ product_id: string }>(
      shopUrl,
      '/products',
      { title, price: 1000 + sellerOf.size, seller_id: sellerId, ...(stock ? { stock } : {}) },
      admin,
    );
    sellerOf.set(product_id, sellerId);
    return product_id;
  };
  const spread: string[] = [];
  for (let i = 0; i < SPREAD_PRODUCTS; i++) {
    spread.push(await product(`Spread ${i}`, sellers[i % 2]!.seller_id));
  }
  const hot = await product('Hot, unlimited', sellers[0]!.seller_id);
  const limited = await product('Hot, limited', sellers[1]!.seller_id, LIMITED_STOCK);
  return { spread, hot, limited, sellerOf };
}

export interface Round {
  result: Result;
  /** [seconds since start, p99 ms of the responses in that second]. */
  p99BySecond: [number, number][];
  /** When the last 201 came back, ms after the start (limited stock sells out before the end). */
  lastCreatedMs: number;
}

/**
 * One autocannon round: each connection is a buyer of its own; `pick` chooses the product.
 * As fast as the shop answers, or `perSecond` requests a second in all.
 */
export async function round(
  shopUrl: string,
  buyers: Buyer[],
  pick: () => string,
  options: { seconds: number; perSecond?: number },
): Promise<Round> {
  const started = Date.now();
  const bySecond = new Map<number, number[]>();
  let lastCreatedMs = 0;
  let client = 0;
  let finished!: (result: Result) => void;
  let failed!: (error: unknown) => void;
  const done = new Promise<Result>((resolve, reject) => {
    finished = resolve;
    failed = reject;
  });
  const instance: Instance = autocannon(
    {
      url: `${shopUrl}/purchase`,
      method: 'POST',
      connections: CONNECTIONS,
      duration: options.seconds,
      ...(options.perSecond ? { overallRate: options.perSecond } : {}),
      headers: { 'content-type': 'application/json' },
      setupClient: (c) => {
        c.setHeaders({
          'content-type': 'application/json',
          authorization: `Bearer ${buyers[client++ % buyers.length]!.token}`,
        });
      },
      requests: [{ setupRequest: (request) => ({ ...request, body: body(pick()) }) }],
    },
    (error, result) => (error ? failed(error) : finished(result)),
  );
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    const elapsed = Date.now() - started;
    const second = Math.floor(elapsed / 1000);
    const list = bySecond.get(second) ?? [];
    list.push(responseTime);
    bySecond.set(second, list);
    if (statusCode === 201) lastCreatedMs = elapsed;
  });
  const result = await done;
  const p99BySecond = [...bySecond]
    .sort(([a], [b]) => a - b)
    .map(([second, times]): [number, number] => [second, percentile(times, 0.99)]);
  return { result, p99BySecond, lastCreatedMs };
}

/** The spread round: each request buys the next of `products` in turn. */
export function spreadRound(
  shopUrl: string,
  buyers: Buyer[],
  products: string[],
  seconds = ROUND_SECONDS,
  perSecond?: number,
): Promise<Round> {
  let next = 0;
  return round(shopUrl, buyers, () => products[next++ % products.length]!, {
    seconds,
    perSecond,
  });
}

/** The catalogue and 10 buyers (their RS256 tokens) of a freshly started shop. */
export async function catalogueAndBuyers(
  scenario: Scenario,
  shopUrl: string,
): Promise<{ products: Catalogue; buyers: Buyer[] }> {
  const products = await catalogue(shopUrl, await adminToken(shopUrl));
  return { products, buyers: await scenario.buyers(shopUrl, 10) };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

export const created = (round: Round) => round.result['2xx'];
export const ratePerSecond = (round: Round, seconds: number) => created(round) / seconds;
export const latency = (round: Round) =>
  `p50 ${round.result.latency.p50} / p99 ${round.result.latency.p99} / p99.9 ${round.result.latency.p99_9} ms`;
export const errors = (round: Round) =>
  `${round.result.non2xx} non-2xx, ${round.result.errors} errors, ${round.result.timeouts} timeouts`;

export async function count(sequelize: Scenario['ecommerce'], sql: string): Promise<number> {
  const [row] = await sequelize.query<{ n: string }>(sql, { type: QueryTypes.SELECT });
  return Number(row!.n);
}

/** Until every purchase so far is published and in the ledger: later figures start level. */
export async function settle(scenario: Scenario): Promise<void> {
  const sold = await count(scenario.ecommerce, 'SELECT count(*) AS n FROM purchases');
  await waitFor(
    'the backlog of the load rounds',
    async () =>
      (await count(
        scenario.payments,
        'SELECT count(DISTINCT purchase_id) AS n FROM ledger_entries',
      )) >= sold,
    { timeoutMs: 300_000, intervalMs: 500 },
  );
}

/** Where a stack's CPU goes: its two services, their PostgreSQL backends, the emulator, Redis. */
export const STACK_PARTS = ['services', 'postgres', 'emulator', 'redis'] as const;
export type StackPart = (typeof STACK_PARTS)[number];

/**
 * The processes that do a stack's work, each with its part: its two services, its emulator and
 * Redis, and the PostgreSQL backends connected to its two databases (the harness's own queries
 * included, on both sides alike).
 */
export function stackProcesses(
  scenario: Scenario,
  stack: Stack,
): () => Promise<{ pid: number | undefined; part: StackPart }[]> {
  const fixed: { pid: number | undefined; part: StackPart }[] = [
    { pid: stack.shop.child.pid, part: 'services' },
    { pid: stack.gateway.child.pid, part: 'services' },
    { pid: scenario.emulator.process.pid, part: 'emulator' },
    { pid: scenario.redis.pid, part: 'redis' },
  ];
  const databases = [scenario.ecommerceDbUrl, scenario.paymentsDbUrl].map((url) =>
    new URL(url).pathname.slice(1),
  );
  return async () => {
    const backends = await scenario.ecommerce.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname IN (:databases)',
      { replacements: { databases }, type: QueryTypes.SELECT },
    );
    return [...fixed, ...backends.map((row) => ({ pid: row.pid, part: 'postgres' as const }))];
  };
}
