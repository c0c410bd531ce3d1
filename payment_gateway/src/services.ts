import type { SQSClient } from '@aws-sdk/client-sqs';
import { transactionRunner } from '@marketplace/common';
import type { Logger } from '@marketplace/common';
import type { Redis } from 'ioredis';
import type { Sequelize } from 'sequelize';
import type { Config } from './config';
import { LedgerRepository } from './data/ledger-repository';
import { LedgerUseCases } from './domain/ledger-use-cases';
import { DrainScheduler } from './messaging/drain-scheduler';
import { QueueLocator } from './messaging/queue-locator';
import { SqsDrain } from './messaging/sqs-drain';
import type { DrainOptions } from './messaging/sqs-drain';
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
  drainOptions?: Partial<DrainOptions>;
}): Services {
  const { config, logger, sequelize, sqs } = deps;
  const queues = new QueueLocator(sqs, config.sqsQueueUrl);
  const metrics = createMetrics(sqs, queues);
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
    drain: new SqsDrain(sqs, queues, ledger, metrics, logger, {
      currency: config.currency,
      ...deps.drainOptions,
    }),
    scheduler: new DrainScheduler({
      redisUrl: config.redisUrl,
      pollIntervalMs: config.pollIntervalMs,
      logger,
      metrics,
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
          })
        : undefined,
  };
}
