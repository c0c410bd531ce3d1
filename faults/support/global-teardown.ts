import { rmSync } from 'node:fs';
import { listDatabases } from '../../test-support/database';
import { assertNoSecrets, isWholeRun, scanForSecrets } from '../../test-support/secret-scan';
import type { RunFilters } from '../../test-support/secret-scan';
import { PostgresCluster } from './infrastructure';

/**
 * Before the suite's cluster and folder are removed: every database of the cluster (each
 * scenario's pair) and every line the service processes wrote must hold no secret. The
 * cluster is started again first if a failed scenario left it stopped.
 */
export default async function globalTeardown(globalConfig: RunFilters): Promise<void> {
  const postgres = PostgresCluster.fromEnv();
  try {
    if (!postgres.running) await postgres.start();
    const report = await scanForSecrets({
      databaseUrls: await listDatabases(postgres.url),
      logDirs: [process.env.TEST_SERVICE_LOG_DIR!],
    });
    assertNoSecrets('the fault suite', report, { expectLogs: isWholeRun(globalConfig) });
  } finally {
    await postgres.destroy();
    rmSync(process.env.FAULT_RUN_DIR!, { recursive: true, force: true });
  }
}
