import { createServer } from 'node:http';
import { ConfigError, createLogger, createSqsClient } from '@marketplace/common';
import { createApp } from './app';
import { loadConfig } from './config';
import type { Config } from './config';
import { prepareDatabase } from './data/database';
import { bullConnection } from './messaging/drain-scheduler';
import { createServices } from './services';

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`payment_gateway: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

async function main(): Promise<void> {
  const config = readConfig();
  const logger = createLogger({ name: 'payment_gateway', level: config.logLevel });
  const sequelize = await prepareDatabase(config.databaseUrl, logger);
  const redis = bullConnection(config.redisUrl);
  const sqs = createSqsClient(config.aws);
  const services = createServices({ config, logger, sequelize, redis, sqs });
  const api = config.runMode !== 'worker';
  const worker = config.runMode !== 'api';

  const server = createServer(createApp(services, { serveApi: api }));
  if (worker) {
    await services.scheduler.schedule();
    services.scheduler.startWorker(services.drain);
    logger.info({ every_ms: config.pollIntervalMs }, 'drain worker started');
  }
  server.listen(config.port, config.host, () => {
    logger.info(
      { url: `http://${config.host}:${config.port}`, mode: config.runMode },
      'payment_gateway listening',
    );
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // Stop taking requests and jobs; let the running request and drain finish; close pools.
    const closed = new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    await Promise.all([closed, services.scheduler.close()]);
    await sequelize.close();
    await redis.quit();
    sqs.destroy();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `payment_gateway failed to start: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
