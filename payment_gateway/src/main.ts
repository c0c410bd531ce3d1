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
import { openServices, shutdownSteps, startJobs, watchSchedules } from './services';

async function main(): Promise<void> {
  const config = configOrExit('payment_gateway', () => loadConfig());
  const logger = createLogger({ name: 'payment_gateway', level: config.logLevel });
  exitOnFatalErrors(logger);
  const services = await openServices(config, logger);

  // A worker-only process (RUN_MODE=worker) still serves health, readiness and its metrics.
  const drains = config.runMode !== 'api';
  const servesApi = config.runMode !== 'worker';
  // The live revenue streams follow the ledger's bookings (the API's processes only).
  if (servesApi) await services.feed.start();
  const server = createHttpServer(createApp(services, { serveApi: servesApi, drains }));
  // Every process keeps the schedules in Redis; worker processes also run the jobs.
  if (drains) await startJobs(services);
  else watchSchedules(services);
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
      ...shutdownSteps(services, () => closeServer(server)),
      // A trace collector that is down must not turn a clean stop into exit 1.
      { name: 'flush traces', run: () => telemetry.shutdown(), closesConnection: true },
    ],
    { timeoutMs: config.shutdownTimeoutMs },
  );
}

main().catch(exitOnStartupFailure('payment_gateway'));
