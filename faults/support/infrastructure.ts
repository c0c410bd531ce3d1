import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The suite's own PostgreSQL cluster, so scenarios can stop and restart it without touching
 * the machine's shared one. Controlled statelessly (pg_ctl on a data directory), so the global
 * setup and every test file drive the same cluster; where it is travels in FAULT_PG_* variables.
 */

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

  /** Whether the server is up (its data directory holds a postmaster.pid). */
  get running(): boolean {
    return existsSync(path.join(this.dataDir, 'postmaster.pid'));
  }

  async destroy(): Promise<void> {
    if (this.running) await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
