import { createServer } from 'node:http';
import { ConfigError, createLogger, createSnsClient } from '@marketplace/common';
import { createApp } from './app';
import { loadConfig } from './config';
import type { Config } from './config';
import { prepareDatabase } from './data/database';
import { createServices } from './services';

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`ecommerce: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

async function main(): Promise<void> {
  const config = readConfig();
  const logger = createLogger({ name: 'ecommerce', level: config.logLevel });
  const sequelize = await prepareDatabase(config.databaseUrl, logger);
  const sns = createSnsClient(config.aws);
  const services = createServices({ config, logger, sequelize, sns });
  const server = createServer(createApp(services));
  services.relay.start();
  server.listen(config.port, config.host, () => {
    logger.info({ url: `http://${config.host}:${config.port}` }, 'ecommerce listening');
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // Stop taking requests and let in-flight ones finish, then the relay's pass, then the pools.
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    await services.relay.stop();
    await sequelize.close();
    sns.destroy();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `ecommerce failed to start: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
