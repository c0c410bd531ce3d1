import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../test-support/processes';
import { PostgresCluster } from './infrastructure';

const ROOT = path.resolve(__dirname, '../..');

/**
 * Compiles the services (the scenarios run dist/), and starts the suite's own PostgreSQL
 * cluster, which scenarios may stop and restart at will (each also starts its own Redis).
 */
export default async function globalSetup(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  execFileSync(
    path.join(ROOT, 'node_modules/.bin/tsc'),
    ['-b', 'common', 'ecommerce', 'payment_gateway'],
    { cwd: ROOT, stdio: 'inherit' },
  );
  const dir = mkdtempSync(path.join(os.tmpdir(), 'marketplace-faults-'));
  chmodSync(dir, 0o755); // PostgreSQL runs as its own OS user and must reach its folder
  const postgres = new PostgresCluster(path.join(dir, 'postgres'), await freePort());
  Object.assign(process.env, {
    FAULT_RUN_DIR: dir,
    FAULT_PG_DIR: postgres.dir,
    FAULT_PG_PORT: String(postgres.port),
  });
  await postgres.create();
}
