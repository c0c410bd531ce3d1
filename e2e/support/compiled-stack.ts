import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { createSequelize } from '@marketplace/common';
import { loadFixtures } from '../../ecommerce/src/data/fixtures';

const ROOT = path.resolve(__dirname, '../..');

/**
 * Before running the compiled services as processes: build them (incremental, nearly free
 * when `make test` has just built) and load the README's demo data into this suite's
 * ecommerce database.
 */
export async function buildServicesAndLoadFixtures(): Promise<void> {
  execFileSync(
    path.join(ROOT, 'node_modules/.bin/tsc'),
    ['-b', 'common', 'ecommerce', 'payment_gateway'],
    { cwd: ROOT },
  );
  const sequelize = createSequelize(process.env.TEST_E2E_ECOMMERCE_DATABASE_URL!);
  try {
    await loadFixtures(sequelize, { bcryptRounds: 4 });
  } finally {
    await sequelize.close();
  }
}
