// `make smoke`: runs the README walkthrough against a running stack, block by block in one
// bash session, and compares what each block prints with the block of output under it.
// "…" in the expected output matches any value (ids, times); a string ending in "…" matches
// any string that starts with the rest. Exits 1 on the first difference.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const section = readme.split(/^## /m).find((s) => s.startsWith('Walkthrough'));
if (!section) throw new Error('README.md has no "## Walkthrough" section');

const blocks = [...section.matchAll(/```(sh|json)\n([\s\S]*?)```/g)].map((m) => ({
  lang: m[1],
  body: m[2],
}));
const steps = [];
for (const [i, block] of blocks.entries()) {
  if (block.lang !== 'sh') continue;
  const next = blocks[i + 1];
  steps.push({ script: block.body, expected: next?.lang === 'json' ? next.body : undefined });
}

const MARK = '@@smoke-step@@';
const script = ['set -euo pipefail', ...steps.map((s) => `echo ${MARK}\n${s.script}`)].join('\n');
const run = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
if (run.status !== 0) {
  process.stderr.write(`smoke: the walkthrough failed (exit ${run.status}):\n${run.stderr}\n`);
  process.exit(1);
}
const outputs = run.stdout.split(`${MARK}\n`).slice(1);

/** JSON documents in a text: one pretty-printed value, or one per line (jq -c). */
function documents(text) {
  const trimmed = text.trim();
  try {
    return [JSON.parse(trimmed)];
  } catch {
    return trimmed
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
  }
}

function matches(expected, actual) {
  if (expected === '…') return actual !== undefined;
  if (typeof expected === 'string' && expected.endsWith('…')) {
    return typeof actual === 'string' && actual.startsWith(expected.slice(0, -1));
  }
  if (Array.isArray(expected)) {
    return (
      Array.isArray(actual) &&
      actual.length === expected.length &&
      expected.every((e, i) => matches(e, actual[i]))
    );
  }
  if (expected && typeof expected === 'object') {
    if (!actual || typeof actual !== 'object' || Array.isArray(actual)) return false;
    const keys = Object.keys(expected);
    return (
      keys.length === Object.keys(actual).length &&
      keys.every((k) => matches(expected[k], actual[k]))
    );
  }
  return expected === actual;
}

let failed = false;
steps.forEach((step, i) => {
  if (step.expected === undefined) return;
  const first = step.script.trim().split('\n')[0];
  let actual;
  try {
    actual = documents(outputs[i] ?? '');
  } catch {
    actual = [outputs[i]];
  }
  const expected = documents(step.expected);
  if (matches(expected, actual)) {
    process.stdout.write(`ok    ${first}\n`);
  } else {
    failed = true;
    process.stdout.write(
      `FAIL  ${first}\n  expected: ${JSON.stringify(expected)}\n  actual:   ${JSON.stringify(actual)}\n`,
    );
  }
});
process.stdout.write(
  failed ? 'smoke: differences found\n' : `smoke: ${steps.length} steps as documented\n`,
);
process.exit(failed ? 1 : 0);
