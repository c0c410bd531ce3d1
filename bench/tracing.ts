import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { Scenario } from '../faults/support/scenario';
import { stopService } from '../test-support/service-process';
import { cpuDuring, peakRssMb } from './process-stats';
import {
  catalogueAndBuyers,
  closeBenchScenario,
  count,
  errors,
  latency,
  median,
  openBenchScenario,
  ratePerSecond,
  ROUND_SECONDS,
  settle,
  SPREAD_PRODUCTS,
  spreadRound,
  STACK_PARTS,
  startStack,
} from './purchase-load';
import type { Round, Stack } from './purchase-load';
import { SERVICE_NAMES, tracingEnv } from './tracing-modes';
import type { ServiceKey, TracingMode } from './tracing-modes';
import { pairedCpu } from './tracing-paired';
import type { PairedResult } from './tracing-paired';
import type { BenchContext, BenchStep, StepResult } from './types';

/**
 * Step 8 of `make bench`: what OpenTelemetry tracing costs the sale path. The purchase step's
 * spread round (POST /purchase over 200 products, 50 connections, the gateway draining behind)
 * against three whole stacks (databases, emulator, Redis each), started once and warmed up:
 * one with tracing off, one with it on as shipped (OTLP http/protobuf to a sink in this
 * process), and one with the opt-in SQL statement spans too
 * (`OTEL_NODE_ENABLED_INSTRUMENTATIONS=pg,ioredis`). The load goes to each in turn, CYCLES
 * times; the two others idle meanwhile. Long-lived processes, as in production: a stack
 * started fresh for each round measured its young process (code not yet optimized) as much as
 * tracing. This machine's speed drifts by 10-20 % within minutes, so each traced round is
 * compared with the untraced rounds either side of it (the geometric mean of its own cycle's
 * and the next one's; a last untraced round closes the run): a drift that is steady over the
 * minute they span cancels. The overhead is the median of those ratios.
 * Then tracing's CPU per purchase, measured side by side (tracing-paired.ts): the precise figure
 * (a round's throughput moves more with the machine than tracing moves it).
 * Fails when the sink got no spans from a traced service (or SQL spans where they are off, or
 * none where they are on), or any from an untraced one: that would measure nothing.
 */

/** `on`: tracing as shipped; `sql`: with the pg instrumentation's statement spans too. */
const CYCLE = ['off', 'on', 'sql'] as const satisfies readonly TracingMode[];
const CYCLES = Number(process.env.BENCH_TRACING_CYCLES ?? 7);
/**
 * The cycles, then an untraced round after the last one (each traced round has one either
 * side). None with BENCH_TRACING_CYCLES=0: only the side-by-side comparisons run.
 */
const MODES: Mode[] =
  CYCLES > 0 ? [...Array.from({ length: CYCLES }, () => CYCLE).flat(), 'off'] : [];
type Mode = (typeof CYCLE)[number];

/**
 * Load before the first counted round, on each stack, not counted: the services' code (the
 * SDK's too) is compiled and optimized as it runs, and a service runs for days, not seconds.
 */
const WARM_UP_SECONDS = Number(process.env.BENCH_TRACING_WARM_UP ?? 15);

/** What the sink received, by service (as named by the resource's `service.name`). */
interface Received {
  requests: number;
  bytes: number;
  spans: Record<ServiceKey | 'other', number> & { names: Map<string, number> };
}

const nothing = (): Received => ({
  requests: 0,
  bytes: 0,
  spans: { shop: 0, gateway: 0, other: 0, names: new Map() },
});

function minus(a: Received, b: Received): Received {
  return {
    requests: a.requests - b.requests,
    bytes: a.bytes - b.bytes,
    spans: {
      shop: a.spans.shop - b.spans.shop,
      gateway: a.spans.gateway - b.spans.gateway,
      other: a.spans.other - b.spans.other,
      names: new Map(
        [...a.spans.names].map(([name, n]) => [name, n - (b.spans.names.get(name) ?? 0)]),
      ),
    },
  };
}

/**
 * The length-delimited fields of one protobuf message: [field number, bytes]. Enough of the
 * wire format to count spans (other wire types are skipped).
 */
function* messages(buffer: Buffer): Generator<[number, Buffer]> {
  let at = 0;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = buffer[at++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
  };
  while (at < buffer.length) {
    const tag = varint();
    const wireType = tag & 7;
    if (wireType === 0) varint();
    else if (wireType === 1) at += 8;
    else if (wireType === 5) at += 4;
    else if (wireType === 2) {
      const length = varint();
      yield [Math.floor(tag / 8), buffer.subarray(at, at + length)];
      at += length;
    } else throw new Error(`protobuf wire type ${wireType} at ${at}`);
  }
}

/**
 * Spans in an ExportTraceServiceRequest by service: resource_spans (1) hold a resource (1) and
 * scope_spans (2), which hold spans (2).
 */
function countSpans(request: Buffer, into: Received['spans']): void {
  for (const [field, resourceSpans] of messages(request)) {
    if (field !== 1) continue;
    let service: ServiceKey | 'other' = 'other';
    let spans = 0;
    for (const [inner, value] of messages(resourceSpans)) {
      if (inner === 1) {
        for (const key of Object.keys(SERVICE_NAMES) as ServiceKey[]) {
          if (value.includes(SERVICE_NAMES[key])) service = key;
        }
      } else if (inner === 2) {
        for (const [scopeField, span] of messages(value)) {
          if (scopeField !== 2) continue;
          spans++;
          // Span.name is field 5.
          for (const [spanField, name] of messages(span)) {
            if (spanField === 5)
              into.names.set(name.toString(), (into.names.get(name.toString()) ?? 0) + 1);
          }
        }
      }
    }
    into[service] += spans;
  }
}

/**
 * A plain OTLP/HTTP traces endpoint: POST /v1/traces, 200 with an empty body, counted. The
 * spans are counted when a snapshot is taken, after the round: this process also generates the
 * load, and parsing while it does would slow the traced rounds' load alone.
 */
async function startSink() {
  const received = nothing();
  let unreadable = 0;
  let unparsed: { body: Buffer; gzipped: boolean }[] = [];
  const parsePending = () => {
    for (const { body, gzipped } of unparsed) {
      try {
        countSpans(gzipped ? gunzipSync(body) : body, received.spans);
      } catch {
        unreadable++;
      }
    }
    unparsed = [];
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      const raw = Buffer.concat(chunks);
      received.requests++;
      received.bytes += raw.length;
      unparsed.push({ body: raw, gzipped: req.headers['content-encoding'] === 'gzip' });
      res.writeHead(200, { 'content-length': 0 }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    snapshot: (): Received => {
      parsePending();
      return { ...received, spans: { ...received.spans, names: new Map(received.spans.names) } };
    },
    unreadable: () => {
      parsePending();
      return unreadable;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Measured {
  mode: Mode;
  round: Round;
  perSecond: number;
  cores: Record<string, number>;
  /** What the sink got during the round, until its last batch (the batch delay) was sent. */
  received: Received;
  purchases: number;
  rss: { shop: number; gateway: number };
}

export const benchTracing: BenchStep = async (context: BenchContext): Promise<StepResult> => {
  const sink = await startSink();
  const port = Number(new URL(context.postgresUrl).port || 5432);
  try {
    const saturated = await measure(context, port, sink);
    return withPaired(saturated, await pairedCpu(context, sink.url, port));
  } finally {
    await sink.close();
  }
};

const signedMs = (ms: number) => `${ms >= 0 ? '+' : '−'}${Math.abs(ms).toFixed(3)} ms`;

/** The side-by-side CPU figures (tracing-paired.ts) added to the saturated rounds' result. */
function withPaired(result: StepResult, pairs: PairedResult[]): StepResult {
  const figures: Record<string, number> = {};
  const rows: [string, string][] = [];
  for (const pair of pairs) {
    const name = pair.base === 'off' ? pair.traced : `${pair.traced}_over_${pair.base}`;
    const range = (ratios: number[]) =>
      `${pct(median(ratios) - 1)} % (cycles ${ratios.map((r) => pct(r - 1)).join(', ')})`;
    const { ratios } = pair;
    figures[`tracing_paired_cpu_${name}_pct`] = pct(median(ratios.both) - 1);
    figures[`tracing_paired_ecommerce_cpu_${name}_pct`] = pct(median(ratios.shop) - 1);
    figures[`tracing_paired_ecommerce_main_cpu_${name}_pct`] = pct(median(ratios.shopMain) - 1);
    figures[`tracing_paired_stack_cpu_${name}_pct`] = pct(median(ratios.stack) - 1);
    figures[`tracing_paired_cpu_bound_throughput_${name}_pct`] = pct(1 - 1 / median(ratios.stack));
    rows.push(
      [
        `CPU per purchase side by side, ${pair.traced} over ${pair.base}: both services`,
        `${range(ratios.both)}; ${pair.cpuMs.base.toFixed(2)} -> ${pair.cpuMs.traced.toFixed(2)} ms`,
      ],
      [`  ecommerce`, range(ratios.shop)],
      [`  ecommerce's main thread (the saturated sale path's bottleneck)`, range(ratios.shopMain)],
      [`  payment_gateway`, range(ratios.gateway)],
      [
        `  whole stack (with PostgreSQL, emulator, Redis)`,
        `${range(ratios.stack)}; ${pair.stackCpuMs.base.toFixed(2)} -> ` +
          `${pair.stackCpuMs.traced.toFixed(2)} ms`,
      ],
      [
        `  whole stack's CPU per purchase added, by part (median of the cycles)`,
        STACK_PARTS.map((part) => `${part} ${signedMs(pair.addedMsByPart[part])}`).join(', '),
      ],
      [
        `  throughput where CPU is the limit (1 - 1/whole stack ratio)`,
        `${pct(1 - 1 / median(ratios.stack))} % lost (cycles ${ratios.stack
          .map((r) => pct(1 - 1 / r))
          .join(', ')})`,
      ],
    );
  }
  return { ...result, figures: { ...result.figures, ...figures }, rows: [...result.rows, ...rows] };
}

async function measure(
  context: BenchContext,
  postgresPort: number,
  sink: Awaited<ReturnType<typeof startSink>>,
): Promise<StepResult> {
  if (MODES.length === 0) return { figures: {}, rows: [] };
  // One whole stack per mode (databases, emulator, Redis each), started once and kept warm.
  const scenarios = new Map<Mode, Scenario>();
  const stacks = new Map<Mode, Stack>();
  try {
    for (const mode of CYCLE) {
      const scenario = await openBenchScenario(`bench_tracing_${mode}`, postgresPort);
      scenarios.set(mode, scenario);
      stacks.set(
        mode,
        await startStack(scenario, {
          shop: tracingEnv(mode, sink.url, 'shop'),
          gateway: tracingEnv(mode, sink.url, 'gateway'),
        }),
      );
    }
    return await measureWarm(context, scenarios, stacks, sink);
  } finally {
    await Promise.all(
      [...stacks.values()].flatMap((stack) => [
        stopService(stack.shop),
        stopService(stack.gateway),
      ]),
    );
    for (const scenario of scenarios.values()) await closeBenchScenario(scenario);
  }
}

async function measureWarm(
  context: BenchContext,
  scenarios: Map<Mode, Scenario>,
  stacks: Map<Mode, Stack>,
  sink: Awaited<ReturnType<typeof startSink>>,
): Promise<StepResult> {
  const purchasesSoFar = (mode: Mode) =>
    count(scenarios.get(mode)!.ecommerce, 'SELECT count(*) AS n FROM purchases');
  // A traced stack's last spans reach the sink a batch delay after its gateway booked them.
  const exported = () => new Promise((resolve) => setTimeout(resolve, 1000));
  const prepared = new Map<Mode, Awaited<ReturnType<typeof catalogueAndBuyers>>>();
  for (const mode of CYCLE) {
    const scenario = scenarios.get(mode)!;
    const { shop } = stacks.get(mode)!;
    const { products, buyers } = await catalogueAndBuyers(scenario, shop.url);
    prepared.set(mode, { products, buyers });
    context.log(`tracing ${mode}: warm-up, ${WARM_UP_SECONDS} s, not counted`);
    await spreadRound(shop.url, buyers, products.spread, WARM_UP_SECONDS);
    await settle(scenario);
  }
  await exported();

  const rounds: Measured[] = [];
  for (const [i, mode] of MODES.entries()) {
    const scenario = scenarios.get(mode)!;
    const { shop, gateway } = stacks.get(mode)!;
    const { products, buyers } = prepared.get(mode)!;
    const before = sink.snapshot();
    const purchasesBefore = await purchasesSoFar(mode);
    context.log(`tracing ${mode}: POST /purchase spread over ${SPREAD_PRODUCTS} products`);
    const { result, cores } = await cpuDuring(
      { ecommerce: shop.child.pid!, payment_gateway: gateway.child.pid! },
      () => spreadRound(shop.url, buyers, products.spread),
    );
    // The gateway books the round's sales (its drain and ledger spans) before the count.
    await settle(scenario);
    await exported();
    const rss = { shop: peakRssMb(shop.child.pid!), gateway: peakRssMb(gateway.child.pid!) };
    const received = minus(sink.snapshot(), before);
    const purchases = (await purchasesSoFar(mode)) - purchasesBefore;
    rounds.push({
      mode,
      round: result,
      perSecond: ratePerSecond(result, ROUND_SECONDS),
      cores,
      received,
      purchases,
      rss,
    });
    context.log(
      `tracing ${mode}: ${ratePerSecond(result, ROUND_SECONDS).toFixed(0)} /s, ${latency(result)}; ` +
        `sink: ${received.requests} requests, ${received.spans.shop} + ${received.spans.gateway} spans`,
    );
    // Measuring nothing is not a measurement: stop at the first round that would.
    const { spans } = received;
    if (mode !== 'off' && (spans.shop === 0 || spans.gateway === 0)) {
      throw new Error(
        `tracing step: round ${i + 1} ran with tracing ${mode} but the OTLP sink got ${spans.shop} ` +
          `ecommerce and ${spans.gateway} payment_gateway spans (${received.requests} requests, ` +
          `${sink.unreadable()} unreadable): the overhead would be measured against nothing`,
      );
    }
    const sqlSpans = [...spans.names].filter(([name, n]) => name.startsWith('pg.') && n > 0).length;
    if (mode !== 'off' && (mode === 'sql') !== sqlSpans > 0) {
      throw new Error(
        `tracing step: round ${i + 1} (tracing ${mode}) sent ${sqlSpans} kinds of SQL spans: ` +
          `the pg instrumentation is ${mode === 'sql' ? 'not loaded' : 'loaded'} where it should not be`,
      );
    }
    if (mode === 'off' && received.requests > 0) {
      throw new Error(
        `tracing step: round ${i + 1} ran with tracing off but the OTLP sink got ` +
          `${received.requests} requests: the "off" figure is not tracing-free`,
      );
    }
  }

  // CPU the two services spent per placed purchase: less at the mercy of a busy machine.
  const cpuMs = (r: Measured) =>
    ((r.cores.ecommerce! + r.cores.payment_gateway!) * ROUND_SECONDS * 1000) /
    Math.max(1, r.round.result['2xx']);
  const summary = (mode: Mode) => {
    const of = rounds.filter((r) => r.mode === mode);
    const sum = (value: (r: Measured) => number) => of.reduce((total, r) => total + value(r), 0);
    const byName = new Map<string, number>();
    for (const r of of) {
      for (const [name, n] of r.received.spans.names) {
        byName.set(name, (byName.get(name) ?? 0) + n);
      }
    }
    const purchases = Math.max(
      1,
      sum((r) => r.purchases),
    );
    return {
      rate: median(of.map((r) => r.perSecond)),
      p99: median(of.map((r) => r.round.result.latency.p99)),
      cpu: median(of.map(cpuMs)),
      purchases,
      spansShop: sum((r) => r.received.spans.shop),
      spansGateway: sum((r) => r.received.spans.gateway),
      bytes: sum((r) => r.received.bytes),
      requests: sum((r) => r.received.requests),
      byName,
      rss: {
        shop: Math.max(...of.map((r) => r.rss.shop)),
        gateway: Math.max(...of.map((r) => r.rss.gateway)),
      },
    };
  };
  const off = summary('off');
  const on = summary('on');
  const sql = summary('sql');
  // Each traced round against the untraced rounds either side of it: its own cycle's
  // (CYCLE.indexOf(mode) rounds before it) and the next cycle's (or the closing one).
  const ratios = (mode: Mode) =>
    rounds.flatMap((r, i) => {
      if (r.mode !== mode) return [];
      const before = rounds[i - CYCLE.indexOf(mode)]!.perSecond;
      const after = rounds[i - CYCLE.indexOf(mode) + CYCLE.length]!.perSecond;
      return [r.perSecond / Math.sqrt(before * after)];
    });
  const overhead = { on: ratios('on'), sql: ratios('sql') };
  const overheadPct = (mode: keyof typeof overhead) => pct(1 - median(overhead[mode]));
  // Each cycle's own figure next to the median: how far one run can be trusted.
  const overheadRow = (mode: keyof typeof overhead) =>
    `${overheadPct(mode)} % of throughput (cycles ${overhead[mode]
      .map((ratio) => pct(1 - ratio))
      .join(', ')})`;
  const spansPerPurchase = (traced: typeof on) =>
    (traced.spansShop + traced.spansGateway) / traced.purchases;

  const rows: [string, string][] = rounds.map((r, i) => [
    `round ${i + 1}, tracing ${r.mode}`,
    `${r.perSecond.toFixed(0)} /s, ${latency(r.round)}, ${errors(r.round)}; ` +
      `${Object.entries(r.cores)
        .map(([name, n]) => `${name} ${n}`)
        .join(', ')} cores`,
  ]);
  rows.push(
    [
      'POST /purchase spread, median off / on / on with SQL spans',
      `${off.rate.toFixed(0)} / ${on.rate.toFixed(0)} / ${sql.rate.toFixed(0)} per s, ` +
        `p99 ${off.p99} / ${on.p99} / ${sql.p99} ms`,
    ],
    [
      'tracing overhead as shipped (median of each on round / the off rounds either side of it)',
      overheadRow('on'),
    ],
    ['tracing overhead with the SQL spans (opt-in)', overheadRow('sql')],
    [
      'services CPU per purchase, off / on / with SQL spans',
      `${off.cpu.toFixed(2)} / ${on.cpu.toFixed(2)} / ${sql.cpu.toFixed(2)} ms ` +
        '(ecommerce + payment_gateway)',
    ],
  );
  for (const [mode, traced] of [
    ['on', on],
    ['with SQL spans', sql],
  ] as const) {
    rows.push(
      [
        `OTLP sink, tracing ${mode}`,
        `${traced.requests} requests, ${(traced.bytes / 2 ** 20).toFixed(1)} MiB, ` +
          `${traced.spansShop + traced.spansGateway} spans (ecommerce ${traced.spansShop}, ` +
          `payment_gateway ${traced.spansGateway}) for ${traced.purchases} purchases`,
      ],
      [
        `spans per purchase, tracing ${mode} (top 10)`,
        [...traced.byName]
          .sort(([, a], [, b]) => b - a)
          .slice(0, 10)
          .map(([name, n]) => `${name} ${(n / traced.purchases).toFixed(1)}`)
          .join(', '),
      ],
    );
  }
  for (const [what, value] of rows) context.log(`${what}: ${value}`);

  return {
    figures: {
      tracing_off_per_s: round1(off.rate),
      tracing_on_per_s: round1(on.rate),
      tracing_overhead_pct: overheadPct('on'),
      tracing_sql_per_s: round1(sql.rate),
      tracing_sql_overhead_pct: overheadPct('sql'),
      tracing_p99_off_ms: round1(off.p99),
      tracing_p99_on_ms: round1(on.p99),
      tracing_cpu_ms_per_purchase_off: round2(off.cpu),
      tracing_cpu_ms_per_purchase_on: round2(on.cpu),
      tracing_cpu_ms_per_purchase_sql: round2(sql.cpu),
      tracing_spans_per_purchase: round1(spansPerPurchase(on)),
      tracing_sql_spans_per_purchase: round1(spansPerPurchase(sql)),
    },
    rows,
    peakRssMb: {
      'ecommerce, tracing on': Math.max(on.rss.shop, sql.rss.shop),
      'payment_gateway (all), tracing on': Math.max(on.rss.gateway, sql.rss.gateway),
    },
  };
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const round2 = (n: number) => Math.round(n * 100) / 100;
const pct = (fraction: number) => round1(fraction * 100);
