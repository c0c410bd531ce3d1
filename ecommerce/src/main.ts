// Tracing first (see telemetry.ts), before anything loads pg or ioredis.
import { telemetry } from './telemetry';
import {
  closeServer,
  createHttpServer,
  configOrExit,
  createLogger,
  exitOnFatalErrors,
  exitOnStartupFailure,
  onShutdown,
} from '@marketplace/common';
import { createApp } from './app';
import { loadConfig } from './config';
import { openServices, shutdownSteps } from './services';

async function main(): Promise<void> {
  const config = configOrExit('ecommerce', () => loadConfig());
  const logger = createLogger({ name: 'ecommerce', level: config.logLevel });
  exitOnFatalErrors(logger);
  const services = await openServices(config, logger);
  const server = createHttpServer(createApp(services));
  services.relay.start();
  server.listen(config.port, config.host, () => {
    logger.info({ url: `http://${config.host}:${config.port}` }, 'ecommerce listening');
  });
  // Stop taking requests and let in-flight ones finish, then the relay's pass, then the pools.
  onShutdown(
    logger,
    [
      ...shutdownSteps(services, () => closeServer(server)),
      // A trace collector that is down must not turn a clean stop into exit 1.
      { name: 'flush traces', run: () => telemetry.shutdown(), closesConnection: true },
    ],
    { timeoutMs: config.shutdownTimeoutMs },
  );
}

main().catch(exitOnStartupFailure('ecommerce'));
