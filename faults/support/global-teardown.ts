import { rmSync } from 'node:fs';
import { PostgresCluster, RedisServer } from './infrastructure';

export default async function globalTeardown(): Promise<void> {
  await RedisServer.fromEnv().stop();
  await PostgresCluster.fromEnv().destroy();
  rmSync(process.env.FAULT_RUN_DIR!, { recursive: true, force: true });
}
