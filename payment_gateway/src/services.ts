import type { SQSClient } from '@aws-sdk/client-sqs';
import { transactionRunner } from '@marketplace/common';
import type { Logger } from '@marketplace/common';
import type { Redis } from 'ioredis';
import type { Sequelize } from 'sequelize';
import type { Config } from './config';
import { LedgerRepository } from './data/ledger-repository';
import { LedgerUseCases } from './domain/ledger-use-cases';
import { DrainHeartbeat } from './messaging/drain-heartbeat';
import { DrainScheduler } from './messaging/drain-scheduler';
import { QueueLocator } from './messaging/queue-locator';
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
  redis: Redis;
  sqs: SQSClient;
  metrics: Metrics;
  queues: QueueLocator;
  ledger: LedgerUseCases;
  drain: SqsDrain;
  heartbeat: DrainHeartbeat;
  scheduler: DrainScheduler;
  /** The scheduled reconciliation: worker processes with RECONCILE_INTERVAL_MS set. */
  reconciliation?: ReconcileScheduler | undefined;
}

export function createServices(deps: {
  config: Config;
  logger: Logger;
  sequelize: Sequelize;
  redis: Redis;
  sqs: SQSClient;
  drainOptions?: Partial<TunableDrainOptions>;
}): Services {
  const { config, logger, sequelize, sqs } = deps;
  const queues = new QueueLocator(sqs, config.sqsQueueUrl);
  const drainOptions = {
    ...DEFAULT_DRAIN_OPTIONS,
    currency: config.currency,
    concurrency: config.drainConcurrency,
    ...deps.drainOptions,
  };
  // Stalled: no run has finished for 3 poll intervals plus the longest a run may take.
  const heartbeat = new DrainHeartbeat(
    deps.redis,
    config.bullPrefix,
    3 * config.pollIntervalMs + drainOptions.budgetMs,
  );
  const metrics = createMetrics(sqs, queues, heartbeat);
  const ledger = new LedgerUseCases(
    transactionRunner(sequelize),
    new LedgerRepository(sequelize),
    config.currency,
  );
  return {
    config,
    logger,
    sequelize,
    redis: deps.redis,
    sqs,
    metrics,
    queues,
    ledger,
    drain: new SqsDrain(sqs, queues, ledger, metrics, logger, drainOptions),
    heartbeat,
    scheduler: new DrainScheduler({
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
            redisUrl: config.redisUrl,
            intervalMs: config.reconcile.intervalMs,
            prefix: config.bullPrefix,
            reconciler: new Reconciler({
              sales: config.reconcile.ecommerceDatabaseUrl,
              ledger: config.databaseUrl,
            }),
            logger,
            registry: metrics.registry,
            scheduleCheckIntervalMs: config.scheduleCheckIntervalMs,
          })
        : undefined,
  };
}
