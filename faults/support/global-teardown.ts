import { rmSync } from 'node:fs';
import { PostgresCluster } from './infrastructure';

export default async function globalTeardown(): Promise<void> {
  await PostgresCluster.fromEnv().destroy();
  rmSync(process.env.FAULT_RUN_DIR!, { recursive: true, force: true });
}
