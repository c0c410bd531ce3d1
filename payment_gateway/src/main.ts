import {
  closeServer,
  createHttpServer,
  configOrExit,
  createLogger,
  createSqsClient,
  exitOnFatalErrors,
  exitOnStartupFailure,
  onShutdown,
} from '@marketplace/common';
import { Redis } from 'ioredis';
import { createApp } from './app';
import { loadConfig } from './config';
import { prepareDatabase } from './data/database';
import { createServices } from './services';

async function main(): Promise<void> {
  const config = configOrExit('payment_gateway', () => loadConfig());
  const logger = createLogger({ name: 'payment_gateway', level: config.logLevel });
  exitOnFatalErrors(logger);
  const sequelize = await prepareDatabase(config.databaseUrl, logger);
  // For readiness pings: fails fast while Redis is down (BullMQ's own connections wait).
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  const sqs = createSqsClient(config.aws);
  const services = createServices({ config, logger, sequelize, redis, sqs });

  // A worker-only process (RUN_MODE=worker) still serves health, readiness and its metrics.
  const drains = config.runMode !== 'api';
  const servesApi = config.runMode !== 'worker';
  if (servesApi) await services.feed.start();
  const server = createHttpServer(createApp(services, { serveApi: servesApi, drains }));
  if (drains) {
    await services.scheduler.schedule();
    services.scheduler.watch();
    services.scheduler.startWorker(services.drain);
    logger.info({ every_ms: config.pollIntervalMs }, 'drain worker started');
    if (services.reconciliation) {
      await services.reconciliation.schedule();
      services.reconciliation.watch();
      services.reconciliation.startWorker();
      logger.info({ every_ms: config.reconcile?.intervalMs }, 'reconciliation scheduled');
    }
  }
  server.listen(config.port, config.host, () => {
    logger.info(
      { url: `http://${config.host}:${config.port}`, mode: config.runMode },
      'payment_gateway listening',
    );
  });
  // Stop taking requests and jobs; let the running request and drain finish; close pools.
  onShutdown(
    logger,
    [
      // Live streams never finish by themselves: end them so the server can close.
      { name: 'live revenue streams', run: () => services.feed.stop() },
      {
        name: 'http server, drain and reconciliation workers',
        run: () =>
          Promise.all([
            closeServer(server),
            services.scheduler.close(),
            services.reconciliation?.close(),
          ]),
      },
      { name: 'postgres pool', run: () => sequelize.close(), closesConnection: true },
      { name: 'redis', run: () => redis.quit(), closesConnection: true },
      { name: 'sqs client', run: () => sqs.destroy(), closesConnection: true },
    ],
    { timeoutMs: config.shutdownTimeoutMs },
  );
}

main().catch(exitOnStartupFailure('payment_gateway'));
