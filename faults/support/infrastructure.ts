import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The suite's own PostgreSQL cluster and Redis server, so it can stop, restart and flush them
 * without touching the machine's shared ones. Both are controlled statelessly (pg_ctl on a data
 * directory, a Redis pid file), so the global setup and every test file drive the same ones.
 * Where they are travels in FAULT_* environment variables set by the global setup.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function postgresBin(name: string): string {
  const versions = readdirSync('/usr/lib/postgresql').sort(
    (a, b) => Number(b) - Number(a), // newest first
  );
  for (const version of versions) {
    const bin = `/usr/lib/postgresql/${version}/bin/${name}`;
    if (existsSync(bin)) return bin;
  }
  throw new Error(`no PostgreSQL ${name} under /usr/lib/postgresql/*/bin`);
}

/**
 * PostgreSQL refuses to run as root: as root, run its tools as the `postgres` OS user.
 * Asynchronous, so load generators in the same process keep running meanwhile.
 */
async function asPostgres(command: string, args: string[]): Promise<void> {
  const root = process.getuid?.() === 0;
  if (root) await run('runuser', ['-u', 'postgres', '--', command, ...args]);
  else await run(command, args);
}

export class PostgresCluster {
  constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  static fromEnv(): PostgresCluster {
    return new PostgresCluster(process.env.FAULT_PG_DIR!, Number(process.env.FAULT_PG_PORT));
  }

  get dataDir(): string {
    return path.join(this.dir, 'data');
  }

  /** Server URL without a database name (append `/name`). */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}`;
  }

  /** A fresh cluster in `dir` (trust auth, loopback only), started. */
  async create(): Promise<void> {
    mkdirSync(path.join(this.dir, 'sockets'), { recursive: true });
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
      for (const p of [this.dir, path.join(this.dir, 'sockets')]) chownSync(p, uid, gid);
    }
    await asPostgres(postgresBin('initdb'), [
      '-D',
      this.dataDir,
      '-U',
      'postgres',
      '-A',
      'trust',
      '--no-sync',
    ]);
    await this.start();
  }

  async start(): Promise<void> {
    await asPostgres(postgresBin('pg_ctl'), [
      '-D',
      this.dataDir,
      '-l',
      path.join(this.dir, 'postgres.log'),
      '-w',
      '-o',
      `-p ${this.port} -k ${path.join(this.dir, 'sockets')} -c listen_addresses=127.0.0.1 -c max_connections=200`,
      'start',
    ]);
  }

  /** A fast shutdown: sessions are cut, as in a database failover or restart. */
  async stop(): Promise<void> {
    await asPostgres(postgresBin('pg_ctl'), ['-D', this.dataDir, '-m', 'fast', '-w', 'stop']);
  }

  async destroy(): Promise<void> {
    if (existsSync(path.join(this.dataDir, 'postmaster.pid'))) await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export class RedisServer {
  constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  static fromEnv(): RedisServer {
    return new RedisServer(process.env.FAULT_REDIS_DIR!, Number(process.env.FAULT_REDIS_PORT));
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  private get pidFile(): string {
    return path.join(this.dir, 'redis.pid');
  }

  /** No persistence: a restart comes back empty, as a Redis without a replica would. */
  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    await run('redis-server', [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'yes',
      '--pidfile',
      this.pidFile,
      '--logfile',
      path.join(this.dir, 'redis.log'),
      '--dir',
      this.dir,
    ]);
    for (let i = 0; i < 100; i++) {
      if (this.ping()) return;
      await sleep(50);
    }
    throw new Error(`redis-server did not answer on port ${this.port}`);
  }

  ping(): boolean {
    try {
      return this.cli('PING') === 'PONG';
    } catch {
      return false;
    }
  }

  /** Every key gone: BullMQ loses its queues and job schedulers. */
  flushAll(): void {
    this.cli('FLUSHALL');
  }

  async stop(): Promise<void> {
    if (!existsSync(this.pidFile)) return;
    const pid = Number(readFileSync(this.pidFile, 'utf8'));
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      return; // already gone
    }
    for (let i = 0; i < 200; i++) {
      try {
        process.kill(pid, 0);
      } catch {
        return;
      }
      await sleep(50);
    }
    throw new Error(`redis-server ${pid} did not stop`);
  }

  private cli(...command: string[]): string {
    return execFileSync('redis-cli', ['-p', String(this.port), ...command])
      .toString()
      .trim();
  }
}
