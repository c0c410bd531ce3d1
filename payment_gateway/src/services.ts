import type { SQSClient } from '@aws-sdk/client-sqs';
import { createSqsClient, transactionRunner } from '@marketplace/common';
import type { Logger, NamedShutdownStep } from '@marketplace/common';
import type { Redis } from 'ioredis';
import type { Sequelize } from 'sequelize';
import type { Config } from './config';
import { prepareDatabase } from './data/database';
import { LedgerRepository } from './data/ledger-repository';
import { LedgerUseCases } from './domain/ledger-use-cases';
import { DrainHeartbeat } from './messaging/drain-heartbeat';
import { DrainScheduler } from './messaging/drain-scheduler';
import { LedgerFeed } from './messaging/ledger-feed';
import { QueueDepths } from './messaging/queue-depth';
import { QueueLocator } from './messaging/queue-locator';
import { failFastRedis } from './messaging/recurring-job';
import { SqsDrain } from './messaging/sqs-drain';
import { DEFAULT_DRAIN_OPTIONS } from './messaging/sqs-drain';
import type { TunableDrainOptions } from './messaging/sqs-drain';
import { createMetrics } from './metrics';
import type { Metrics } from './metrics';
import { ReconcileScheduler } from './reconciliation/reconcile-scheduler';
import { Reconciler } from './reconciliation/reconciler';

/** Everything the service is made of, wired once: main.ts and the tests build it the same way. */
export interface Services {
  config: Config;
  logger: Logger;
  sequelize: Sequelize;
  /** Fail-fast (no offline queue): readiness, the heartbeat and the BullMQ queues. */
  redis: Redis;
  sqs: SQSClient;
  metrics: Metrics;
  queues: QueueLocator;
  ledger: LedgerUseCases;
  /** Newly booked lines for the live revenue streams (started by processes serving the API). */
  feed: LedgerFeed;
  drain: SqsDrain;
  heartbeat: DrainHeartbeat;
  scheduler: DrainScheduler;
  /** The scheduled reconciliation: worker processes with RECONCILE_INTERVAL_MS set. */
  reconciliation?: ReconcileScheduler | undefined;
}

/**
 * Opens what the service depends on and wires it: the database (created and migrated when
 * needed), Redis, SQS. The one start-up path: main.ts and the tests both come through here.
 */
export async function openServices(
  config: Config,
  logger: Logger,
  options: { drainOptions?: Partial<TunableDrainOptions> } = {},
): Promise<Services> {
  const sequelize = await prepareDatabase(config.databaseUrl, logger);
  const redis = failFastRedis(config.redisUrl);
  const sqs = createSqsClient(config.aws);
  const queues = new QueueLocator(sqs, config.sqsQueueUrl);
  const drainOptions = {
    ...DEFAULT_DRAIN_OPTIONS,
    currency: config.currency,
    concurrency: config.drainConcurrency,
    ...options.drainOptions,
  };
  // Stalled: no run has finished for 3 poll intervals plus the longest a run may take.
  const heartbeat = new DrainHeartbeat(
    redis,
    config.bullPrefix,
    3 * config.pollIntervalMs + drainOptions.budgetMs,
  );
  // The gauges and the reconciliation read the queues' counts the same way.
  const depths = new QueueDepths(sqs, queues);
  const metrics = createMetrics(depths, heartbeat);
  const ledgerRepository = new LedgerRepository(sequelize);
  const ledger = new LedgerUseCases(
    transactionRunner(sequelize),
    ledgerRepository,
    config.currency,
  );
  return {
    config,
    logger,
    sequelize,
    redis,
    sqs,
    metrics,
    queues,
    ledger,
    feed: new LedgerFeed(config.databaseUrl, ledgerRepository, logger),
    drain: new SqsDrain(sqs, queues, ledger, metrics, logger, drainOptions),
    heartbeat,
    scheduler: new DrainScheduler({
      connection: redis,
      redisUrl: config.redisUrl,
      pollIntervalMs: config.pollIntervalMs,
      maxParallelRuns: config.drainWorkersMax,
      scheduleCheckIntervalMs: config.scheduleCheckIntervalMs,
      logger,
      metrics,
      heartbeat,
      prefix: config.bullPrefix,
    }),
    reconciliation:
      config.reconcile && config.runMode !== 'api'
        ? new ReconcileScheduler({
            connection: redis,
            redisUrl: config.redisUrl,
            intervalMs: config.reconcile.intervalMs,
            prefix: config.bullPrefix,
            reconciler: new Reconciler(
              { sales: config.reconcile.ecommerceDatabaseUrl, ledger: config.databaseUrl },
              depths,
            ),
            logger,
            registry: metrics.registry,
            scheduleCheckIntervalMs: config.scheduleCheckIntervalMs,
          })
        : undefined,
  };
}

/**
 * Keeps the drain's schedule (and, in worker processes, the reconciliation's when configured) in
 * Redis: re-asserted on every reconnection and every SCHEDULE_CHECK_INTERVAL_MS. Every gateway
 * process does this, API-only ones too, so a Redis that lost its data gets the schedule back
 * from whichever process sees it first. Needs no Redis at the time of the call (an API-only
 * process starts without it); the workers put the schedule there first (startJobs).
 */
export function watchSchedules(services: Services): void {
  services.scheduler.watch();
  services.reconciliation?.watch();
}

/**
 * The drain (and the reconciliation, when configured) in this process: each schedule put in
 * Redis and kept there (watchSchedules), and a worker that takes its runs. Resolves once the
 * workers are connected; fails when Redis does not answer in time.
 */
export async function startJobs(services: Services): Promise<void> {
  const { config, logger, scheduler, reconciliation } = services;
  await scheduler.schedule();
  await reconciliation?.schedule();
  watchSchedules(services);
  await scheduler.startWorker(services.drain);
  logger.info({ every_ms: config.pollIntervalMs }, 'drain worker started');
  if (reconciliation) {
    await reconciliation.startWorker();
    logger.info({ every_ms: config.reconcile?.intervalMs }, 'reconciliation scheduled');
  }
}

/**
 * How the service stops, in order: stop serving (`stopServing`, the HTTP server) and taking
 * jobs, let the running request and drain finish, then close the clients. For onShutdown in
 * main.ts; the tests close their services with the same steps.
 */
export function shutdownSteps(
  services: Services,
  stopServing: () => Promise<void> = () => Promise.resolve(),
): NamedShutdownStep[] {
  const { feed, scheduler, reconciliation, sequelize, redis, sqs } = services;
  return [
    // Live streams never finish by themselves: end them so the server can close.
    { name: 'live revenue streams', run: () => feed.stop() },
    {
      name: 'http server, drain and reconciliation workers',
      run: () => Promise.all([stopServing(), scheduler.close(), reconciliation?.close()]),
    },
    { name: 'postgres pool', run: () => sequelize.close(), closesConnection: true },
    { name: 'redis', run: () => redis.quit(), closesConnection: true },
    { name: 'sqs client', run: () => sqs.destroy(), closesConnection: true },
  ];
}
