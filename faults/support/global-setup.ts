import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../test-support/processes';
import { PostgresCluster } from './infrastructure';

const ROOT = path.resolve(__dirname, '../..');

/**
 * Compiles the services (the scenarios run dist/), and starts the suite's own PostgreSQL
 * cluster, which scenarios may stop and restart at will (each also starts its own Redis).
 * Every service process a scenario starts keeps its output in the run's folder
 * (TEST_SERVICE_LOG_DIR), which the teardown scans for secrets with the cluster's databases.
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
  const serviceLogs = path.join(dir, 'service-logs');
  mkdirSync(serviceLogs);
  Object.assign(process.env, {
    TEST_SERVICE_LOG_DIR: serviceLogs,
    FAULT_RUN_DIR: dir,
    FAULT_PG_DIR: postgres.dir,
    FAULT_PG_PORT: String(postgres.port),
  });
  await postgres.create();
}
