// Prints the figures of the last fault-suite run (test-results/faults-figures.json) as the
// Markdown table README's "Guarantees" section shows.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'test-results/faults-figures.json';
let figures;
try {
  figures = JSON.parse(readFileSync(file, 'utf8'));
} catch {
  process.stdout.write(`no fault figures in ${file}\n`);
  process.exit(0);
}

const columns = [
  ['scenario', 'scenario'],
  ['faults_injected', 'faults injected'],
  ['purchases_made', 'purchases'],
  ['accepted', 'accepted'],
  ['cancelled', 'cancelled'],
  ['lost', 'lost'],
  ['duplicated', 'duplicated'],
  ['drift', 'drift'],
  ['max_latency_during_fault_ms', 'max latency during fault (ms)'],
  ['duration_s', 'duration (s)'],
];
// The order, whatever order Jest ran them in.
const ORDER = [
  'emulator-outage',
  'worker-killed',
  'poison-message',
  'redis-flush',
  'redis-restart',
  'postgres-restart',
  'scale-out',
  'graceful-shutdown',
  'gateway-db-outage',
];
const rank = (id) => (ORDER.includes(id) ? ORDER.indexOf(id) : ORDER.length);
const ids = Object.keys(figures.scenarios).sort((a, b) => rank(a) - rank(b));
const rows = ids
  .map((id) => figures.scenarios[id])
  .map((s) => columns.map(([key]) => (s[key] === undefined ? '' : String(s[key]))));
const line = (cells) => `| ${cells.join(' | ')} |`;
process.stdout.write(
  [
    `Machine: ${figures.machine}`,
    '',
    line(columns.map(([, title]) => title)),
    line(columns.map(() => '---')),
    ...rows.map(line),
    '',
  ].join('\n'),
);
