/**
 * `make bench`: measures the sale path, the relay, the drain and the revenue read against
 * their ceilings measured in the same run, on stacks it starts itself (its own emulator,
 * redis-server and `*_bench*` databases on the machine's PostgreSQL; nothing of `make run`'s
 * data is touched). Prints a table, writes bench/results.json and bench/chart.svg, and ends
 * with one key=value line per figure. Not a test: it measures, it does not fail on a target.
 *
 *   npx tsx bench/run.ts [purchase] [drain] [revenue] [tracing]     (default: all four)
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchDrain } from './drain';
import { drawChart } from './chart';
import { benchPurchase } from './purchase';
import { benchRevenue } from './revenue';
import { benchTracing } from './tracing';
import type { BenchStep, StepResult } from './types';

const STEPS: Record<string, BenchStep> = {
  purchase: benchPurchase,
  drain: benchDrain,
  revenue: benchRevenue,
  tracing: benchTracing,
};

/** The issue's targets, shown next to each figure (">= x" or "< x"). */
const TARGETS: Record<string, { atLeast?: number; below?: number }> = {
  purchase_ratio_spread: { atLeast: 0.6 },
  purchase_ratio_hot: { atLeast: 0.9 },
  purchase_ratio_limited: { atLeast: 0.5 },
  purchase_p99_half_load_ms: { below: 50 },
  purchase_oversold: { below: 1 },
  relay_events_per_s: { atLeast: 3000 },
  drain_entries_per_s: { atLeast: 3000 },
  drain_ratio: { atLeast: 0.5 },
  drain_scale_3_workers: { atLeast: 2 },
  revenue_p99_ms_1m: { below: 20 },
  tracing_overhead_pct: { below: 10 },
  tracing_paired_cpu_bound_throughput_on_pct: { below: 10 },
  rss_mb_max: { below: 150 },
};

function verdict(key: string, value: number): string {
  const target = TARGETS[key];
  if (!target) return '';
  if (target.atLeast !== undefined) {
    return `${value >= target.atLeast ? 'meets' : 'MISSES'} >= ${target.atLeast}`;
  }
  return `${value < target.below! ? 'meets' : 'MISSES'} < ${target.below}`;
}

async function main(): Promise<void> {
  const chosen = process.argv.slice(2);
  const names = chosen.length > 0 ? chosen : Object.keys(STEPS);
  const unknown = names.filter((name) => !STEPS[name]);
  if (unknown.length > 0) throw new Error(`unknown step(s): ${unknown.join(', ')}`);
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const context = {
    log: (line: string) => process.stderr.write(`[bench] ${line}\n`),
    postgresUrl: process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432',
  };
  const started = Date.now();
  const results: Record<string, StepResult> = {};
  for (const name of names) {
    context.log(`step ${name}`);
    results[name] = await STEPS[name]!(context);
  }

  const figures: Record<string, number> = {};
  const rss: Record<string, number> = {};
  for (const result of Object.values(results)) {
    Object.assign(figures, result.figures);
    Object.assign(rss, result.peakRssMb ?? {});
  }
  if (Object.keys(rss).length > 0) figures.rss_mb_max = Math.max(...Object.values(rss));

  const machine = `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`;
  const print = (line = '') => process.stdout.write(`${line}\n`);
  print(`make bench: ${machine}, ${Math.round((Date.now() - started) / 1000)} s`);
  for (const [name, result] of Object.entries(results)) {
    print(`\n${name}`);
    for (const [what, value] of result.rows) print(`  ${what.padEnd(36)} ${value}`);
  }
  print('\npeak RSS');
  for (const [service, mb] of Object.entries(rss)) print(`  ${service.padEnd(36)} ${mb} MB`);

  const outDir = path.resolve(__dirname);
  const series: Record<string, [number, number][]> = {};
  for (const result of Object.values(results)) Object.assign(series, result.series ?? {});
  writeFileSync(
    path.join(outDir, 'results.json'),
    `${JSON.stringify({ at: new Date().toISOString(), machine, figures, rss, results }, null, 2)}\n`,
  );
  writeFileSync(path.join(outDir, 'chart.svg'), drawChart(series));
  print('\nwritten: bench/results.json, bench/chart.svg\n');
  for (const [key, value] of Object.entries(figures)) {
    const note = verdict(key, value);
    print(`${key}=${value}${note ? `  # ${note}` : ''}`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `make bench failed: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
