import { readFileSync } from 'node:fs';

/** Peak resident set size of a live process in MB (Linux `VmHWM`); read it before stopping it. */
export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
  if (!kb) throw new Error(`no VmHWM for process ${pid}`);
  return Math.round(Number(kb) / 1024);
}
