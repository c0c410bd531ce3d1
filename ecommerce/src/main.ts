import {
  closeServer,
  createHttpServer,
  configOrExit,
  createLogger,
  createSnsClient,
  exitOnFatalErrors,
  exitOnStartupFailure,
  onShutdown,
} from '@marketplace/common';
import { createApp } from './app';
import { loadConfig } from './config';
import { prepareDatabase } from './data/database';
import { createServices } from './services';

async function main(): Promise<void> {
  const config = configOrExit('ecommerce', () => loadConfig());
  const logger = createLogger({ name: 'ecommerce', level: config.logLevel });
  exitOnFatalErrors(logger);
  const sequelize = await prepareDatabase(config.databaseUrl, logger);
  const sns = createSnsClient(config.aws);
  const services = createServices({ config, logger, sequelize, sns });
  const server = createHttpServer(createApp(services));
  services.relay.start();
  server.listen(config.port, config.host, () => {
    logger.info({ url: `http://${config.host}:${config.port}` }, 'ecommerce listening');
  });
  // Stop taking requests and let in-flight ones finish, then the relay's pass, then the pools.
  onShutdown(
    logger,
    [
      { name: 'http server', run: () => closeServer(server) },
      { name: 'outbox relay', run: () => services.relay.stop() },
      { name: 'postgres pool', run: () => sequelize.close(), closesConnection: true },
      { name: 'sns client', run: () => sns.destroy(), closesConnection: true },
    ],
    { timeoutMs: config.shutdownTimeoutMs },
  );
}

main().catch(exitOnStartupFailure('ecommerce'));
