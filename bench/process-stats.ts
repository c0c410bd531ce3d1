import { readFileSync } from 'node:fs';

/** Peak resident set size of a live process in MB (Linux `VmHWM`); read it before stopping it. */
export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
  if (!kb) throw new Error(`no VmHWM for process ${pid}`);
  return Math.round(Number(kb) / 1024);
}

/** CPU seconds (user + system) a process has used so far (Linux /proc). */
export function cpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/stat`);
}

/**
 * CPU seconds of a process's main thread alone (its JavaScript: the event loop), without its
 * other threads (GC helpers, libuv's pool, worker threads).
 */
export function mainThreadCpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/task/${pid}/stat`);
}

function statCpuSeconds(file: string): number {
  const fields = readFileSync(file, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks
}

/** The whole machine's busy and total CPU seconds so far (all cores). */
export function machineCpu(): { busy: number; total: number } {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const n = ticks.map(Number);
  const total = n.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - n[3]! - n[4]!, total }; // minus idle and iowait
}

/**
 * Where the CPU went while `work` ran: cores used by each named process, by this (the load
 * generator's) process, and how busy the whole machine was.
 */
export async function cpuDuring<T>(
  pids: Record<string, number>,
  work: () => Promise<T>,
): Promise<{ result: T; cores: Record<string, number>; machineBusy: number }> {
  const before = Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]),
  );
  const selfBefore = cpuSeconds(process.pid);
  const machineBefore = machineCpu();
  const started = performance.now();
  const result = await work();
  const seconds = (performance.now() - started) / 1000;
  const cores: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) {
    cores[name] = round2((cpuSeconds(pid) - before[name]!) / seconds);
  }
  cores['load generator'] = round2((cpuSeconds(process.pid) - selfBefore) / seconds);
  const machine = machineCpu();
  const machineBusy = round2(
    (machine.busy - machineBefore.busy) / (machine.total - machineBefore.total),
  );
  return { result, cores, machineBusy };
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * CPU seconds used by a changing set of processes (a stack's PostgreSQL backends come and go
 * with its connection pools) from `start` until `stop`, by the part each is listed as: the set
 * is listed every half second; a process first seen after the start counts from its birth, one
 * gone before the next listing loses what it used since the last one (little: a pool keeps its
 * connections for seconds).
 */
export class FollowedCpu<Part extends string> {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, { cpu: number; part: Part }>();
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> = Promise.resolve();

  constructor(private readonly list: () => Promise<{ pid: number | undefined; part: Part }[]>) {}

  async start(): Promise<void> {
    await this.sample(true);
    this.timer = setInterval(() => {
      this.sampling = this.sampling.then(() => this.sample(false));
    }, 500);
  }

  /** CPU seconds used since start, by part. */
  async stop(): Promise<Map<Part, number>> {
    clearInterval(this.timer);
    await this.sampling;
    await this.sample(false);
    const seconds = new Map<Part, number>();
    for (const [pid, { cpu, part }] of this.last) {
      seconds.set(part, (seconds.get(part) ?? 0) + cpu - this.first.get(pid)!);
    }
    return seconds;
  }

  private async sample(initial: boolean): Promise<void> {
    for (const { pid, part } of await this.list()) {
      if (pid === undefined) continue;
      let cpu: number;
      try {
        cpu = cpuSeconds(pid);
      } catch {
        continue; // gone since it was listed
      }
      if (!this.first.has(pid)) this.first.set(pid, initial ? cpu : 0);
      this.last.set(pid, { cpu, part });
    }
  }
}
