import type { Buyer, Scenario } from '../faults/support/scenario';
import { stopService } from '../test-support/service-process';
import { cpuSeconds, mainThreadCpuSeconds } from './process-stats';
import {
  catalogueAndBuyers,
  closeBenchScenario,
  median,
  openBenchScenario,
  settle,
  spreadRound,
  startStack,
} from './purchase-load';
import { TRACING_MODES, tracingEnv } from './tracing-modes';
import type { TracingMode } from './tracing-modes';
import type { BenchContext } from './types';

/**
 * Tracing's cost as CPU per purchase, two stacks side by side: one untraced (or less traced),
 * one traced, each with its own databases, emulator and Redis, both sold to at the same fixed
 * rate (below saturation) in the same seconds, so whatever the shared machine does to one it
 * does to the other. A round's throughput at saturation moves 10-20 % with the machine within
 * minutes (step 8's cycles); this ratio moved −6 to +4 % between cycles in an A/A run
 * (`off:off`: the same settings on both sides; median −0.7 %), so the median of four cycles
 * is good to a few points. The sides swap every cycle; each cycle starts fresh processes
 * (tracing is decided at start).
 *
 * CPU per purchase is what a CPU-bound service's capacity follows: traced at 1.12× the CPU,
 * the same cores sell 1/1.12 as many (11 % fewer) when they are the limit.
 *
 * BENCH_TRACING_PAIRS chooses the comparisons, `base:traced` pairs of tracing-modes.ts's modes
 * separated by commas (default `off:on`); `off:context,context:unsampled,unsampled:on` splits
 * the cost into context propagation alone, the SDK running without recording, and recording
 * and exporting the spans.
 */

const CYCLES = Number(process.env.BENCH_TRACING_PAIR_CYCLES ?? 4);
const RATE = Number(process.env.BENCH_TRACING_PAIR_RATE ?? 100);
const SECONDS = 12;
/** Longer shows a service later in its life: the SDK's rarely run code (export) gets optimized. */
const WARM_UP_SECONDS = Number(process.env.BENCH_TRACING_PAIR_WARM_UP ?? 3);

function parsePairs(text: string): [TracingMode, TracingMode][] {
  return text.split(',').map((pair) => {
    const modes = pair.split(':');
    const known = (mode: string | undefined): mode is TracingMode =>
      (TRACING_MODES as readonly string[]).includes(mode ?? '');
    if (modes.length !== 2 || !known(modes[0]) || !known(modes[1])) {
      throw new Error(
        `BENCH_TRACING_PAIRS: "${pair}" is not base:traced with modes ${TRACING_MODES.join(', ')}`,
      );
    }
    return [modes[0], modes[1]];
  });
}

/**
 * What is compared, in CPU ms per purchase: each service's process, ecommerce's main thread
 * alone (what limits its throughput at saturation) and both services together.
 */
const MEASURES = ['shop', 'shopMain', 'gateway', 'both'] as const;
type Measure = (typeof MEASURES)[number];

export interface PairedResult {
  base: TracingMode;
  traced: TracingMode;
  /** traced / base CPU per purchase in each cycle, by measure. */
  ratios: Record<Measure, number[]>;
  /** The median CPU per purchase of both services, base and traced. */
  cpuMs: { base: number; traced: number };
}

/** Every BENCH_TRACING_PAIRS comparison, one after the other. */
export async function pairedCpu(
  context: BenchContext,
  sinkUrl: string,
  postgresPort: number,
): Promise<PairedResult[]> {
  const sides = await Promise.all(
    ['a', 'b'].map((side) => openBenchScenario(`bench_tracing_${side}`, postgresPort)),
  );
  try {
    const results: PairedResult[] = [];
    for (const [base, traced] of parsePairs(process.env.BENCH_TRACING_PAIRS ?? 'off:on')) {
      results.push(await comparePair(context, sides, sinkUrl, base, traced));
    }
    return results;
  } finally {
    for (const scenario of sides) await closeBenchScenario(scenario);
  }
}

async function comparePair(
  context: BenchContext,
  sides: Scenario[],
  sinkUrl: string,
  base: TracingMode,
  traced: TracingMode,
): Promise<PairedResult> {
  const ratios: Record<Measure, number[]> = { shop: [], shopMain: [], gateway: [], both: [] };
  const prepared: { products: string[]; buyers: Buyer[] }[] = [];
  const cpuMs: Record<'base' | 'traced', number[]> = { base: [], traced: [] };
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    // The sides swap: side 0 is the base in even cycles, side 1 in odd ones.
    const baseSide = cycle % 2;
    const modes = baseSide === 0 ? [base, traced] : [traced, base];
    const stacks = await Promise.all(
      sides.map((scenario, i) =>
        startStack(scenario, {
          shop: tracingEnv(modes[i]!, sinkUrl, 'shop'),
          gateway: tracingEnv(modes[i]!, sinkUrl, 'gateway'),
        }),
      ),
    );
    try {
      for (const [i, stack] of stacks.entries()) {
        if (prepared[i]) continue;
        const { products, buyers } = await catalogueAndBuyers(sides[i]!, stack.shop.url);
        prepared[i] = { products: products.spread, buyers };
      }
      const sell = (seconds: number) =>
        Promise.all(
          stacks.map((stack, i) =>
            spreadRound(stack.shop.url, prepared[i]!.buyers, prepared[i]!.products, seconds, RATE),
          ),
        );
      await sell(WARM_UP_SECONDS);
      await Promise.all(sides.map((scenario) => settle(scenario)));
      const cpu = () =>
        stacks.map((stack) => ({
          shop: cpuSeconds(stack.shop.child.pid!),
          shopMain: mainThreadCpuSeconds(stack.shop.child.pid!),
          gateway: cpuSeconds(stack.gateway.child.pid!),
        }));
      const before = cpu();
      const rounds = await sell(SECONDS);
      // The gateways book the round's sales before their CPU is read.
      await Promise.all(sides.map((scenario) => settle(scenario)));
      const after = cpu();
      const perPurchase = stacks.map((_, i): Record<Measure, number> => {
        const sold = Math.max(1, rounds[i]!.result['2xx']);
        const ms = (key: 'shop' | 'shopMain' | 'gateway') =>
          ((after[i]![key] - before[i]![key]) * 1000) / sold;
        return {
          shop: ms('shop'),
          shopMain: ms('shopMain'),
          gateway: ms('gateway'),
          both: ms('shop') + ms('gateway'),
        };
      });
      // By side, not by mode: an A/A run (`off:off`) has the same mode on both.
      const baseRun = perPurchase[baseSide]!;
      const tracedRun = perPurchase[1 - baseSide]!;
      const ratio = (m: Measure) => tracedRun[m] / baseRun[m];
      for (const m of MEASURES) ratios[m].push(ratio(m));
      cpuMs.base.push(baseRun.both);
      cpuMs.traced.push(tracedRun.both);
      context.log(
        `tracing ${base} vs ${traced} side by side at ${RATE}/s (cycle ${cycle + 1} of ${CYCLES}): ` +
          `CPU per purchase ${baseRun.both.toFixed(2)} vs ${tracedRun.both.toFixed(2)} ms, ` +
          `ecommerce ×${ratio('shop').toFixed(3)} (main thread ×${ratio('shopMain').toFixed(3)}), ` +
          `payment_gateway ×${ratio('gateway').toFixed(3)}`,
      );
    } finally {
      await Promise.all(
        stacks.flatMap((stack) => [stopService(stack.shop), stopService(stack.gateway)]),
      );
    }
  }
  return {
    base,
    traced,
    ratios,
    cpuMs: { base: median(cpuMs.base), traced: median(cpuMs.traced) },
  };
}
