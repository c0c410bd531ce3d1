/**
 * What one step of `make bench` (bench/run.ts) gives back. Steps start and stop the processes
 * they need themselves, so each can run alone: `npx tsx bench/run.ts drain`.
 */
export interface StepResult {
  /** The key=value figures this step measured, e.g. `drain_entries_per_s`. */
  figures: Record<string, number>;
  /** Lines of the printed table: [what, value as a person reads it]. */
  rows: [string, string][];
  /** Points for the chart: series name -> [x, y] (units in the name, e.g. "revenue p99 ms by entries"). */
  series?: Record<string, [number, number][]>;
  /** Peak RSS (MB) of each service process the step ran, by a name such as "payment_gateway worker". */
  peakRssMb?: Record<string, number>;
}

export interface BenchContext {
  /** Progress for the person waiting: one line, no trailing newline. */
  log(line: string): void;
  /** PostgreSQL server URL without a database name (append `/name`); steps use `*_bench_*` databases. */
  postgresUrl: string;
}

export type BenchStep = (context: BenchContext) => Promise<StepResult>;
