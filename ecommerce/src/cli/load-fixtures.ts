import { ConfigError, createLogger } from '@marketplace/common';
import { loadConfig } from '../config';
import { prepareDatabase } from '../data/database';
import { loadFixtures } from '../data/fixtures';

/** `make fixtures`: demo sellers, products and users, idempotent; never in production. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ name: 'fixtures', level: config.logLevel });
  if (config.nodeEnv === 'production') {
    logger.error('refusing to load demo fixtures with NODE_ENV=production');
    process.exit(1);
  }
  const sequelize = await prepareDatabase(config.databaseUrl, logger);
  try {
    const counts = await loadFixtures(sequelize, { bcryptRounds: config.bcryptRounds });
    logger.info(counts, 'fixtures loaded');
  } finally {
    await sequelize.close();
  }
}

main().catch((error: unknown) => {
  const message =
    error instanceof ConfigError || !(error instanceof Error) ? String(error) : error.stack;
  process.stderr.write(`fixtures: ${message}\n`);
  process.exit(1);
});
