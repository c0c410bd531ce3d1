import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Where `make test-faults` leaves the figures of its last run (README "Guarantees"). */
export const FIGURES_FILE = path.resolve(__dirname, '../../test-results/faults-figures.json');

export interface ScenarioFigures {
  scenario: string;
  purchases_made: number;
  /** Purchases answered 201 (after the client's retries with the same Idempotency-Key). */
  accepted: number;
  cancelled?: number;
  faults_injected: string;
  lost: number;
  duplicated: number;
  /** Minor units, summed over sellers. */
  drift: number;
  duration_s: number;
  /** Slowest purchase response while the fault was on. */
  max_latency_during_fault_ms?: number;
  [detail: string]: unknown;
}

/** What every scenario reports from its zero-drift check. */
export const outcomeOf = (check: {
  lost: number;
  duplicated: number;
  drift: number;
  reconciler: string;
}) => ({
  lost: check.lost,
  duplicated: check.duplicated,
  drift: check.drift,
  reconciler: check.reconciler,
});

/** Merges one scenario's figures into the file (keyed by its id), keeping the others'. */
export function recordFigures(id: string, figures: ScenarioFigures): void {
  let all: { machine?: string; scenarios: Record<string, unknown> } = { scenarios: {} };
  try {
    all = JSON.parse(readFileSync(FIGURES_FILE, 'utf8')) as typeof all;
  } catch {
    // first scenario of the run
  }
  all.machine = `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`;
  all.scenarios[id] = { ...figures, recorded_at: new Date().toISOString() };
  mkdirSync(path.dirname(FIGURES_FILE), { recursive: true });
  writeFileSync(FIGURES_FILE, `${JSON.stringify(all, null, 2)}\n`);
}
