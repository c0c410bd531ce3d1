import type { SNSClient } from '@aws-sdk/client-sns';
import { createSnsClient } from '@marketplace/common';
import type { Logger, NamedShutdownStep } from '@marketplace/common';
import type { Sequelize } from 'sequelize';
import type { Config } from './config';
import { prepareDatabase, transactionRunner } from './data/database';
import { OutboxRepository } from './data/outbox-repository';
import { ProductRepository } from './data/product-repository';
import { PurchaseRepository } from './data/purchase-repository';
import { SellerRepository } from './data/seller-repository';
import { UserRepository } from './data/user-repository';
import { AccountUseCases } from './domain/account-use-cases';
import { CatalogueUseCases } from './domain/catalogue-use-cases';
import { PurchaseUseCases } from './domain/purchase-use-cases';
import { TokenService } from './domain/tokens';
import { OutboxRelay } from './messaging/outbox-relay';
import type { TunableRelayOptions } from './messaging/outbox-relay';
import { SnsPublisher } from './messaging/sns-publisher';
import { createMetrics } from './metrics';
import type { Metrics } from './metrics';

/** Everything the app is made of, wired once: main.ts and the tests build it the same way. */
export interface Services {
  config: Config;
  logger: Logger;
  sequelize: Sequelize;
  sns: SNSClient;
  metrics: Metrics;
  tokens: TokenService;
  accounts: AccountUseCases;
  catalogue: CatalogueUseCases;
  purchases: PurchaseUseCases;
  publisher: SnsPublisher;
  relay: OutboxRelay;
}

/**
 * Opens what the service depends on and wires it: the database (created and migrated when
 * needed) and SNS. The one start-up path: main.ts and the tests both come through here.
 */
export async function openServices(
  config: Config,
  logger: Logger,
  options: { relayOptions?: Partial<TunableRelayOptions> } = {},
): Promise<Services> {
  const sequelize = await prepareDatabase(config.databaseUrl, logger);
  const sns = createSnsClient(config.aws);
  const inTransaction = transactionRunner(sequelize);
  const users = new UserRepository(sequelize);
  const sellers = new SellerRepository(sequelize);
  const products = new ProductRepository(sequelize);
  const purchases = new PurchaseRepository(sequelize);
  const outbox = new OutboxRepository(sequelize);
  const metrics = createMetrics(() => outbox.pendingCount());
  const tokens = new TokenService(config.jwt);
  const publisher = new SnsPublisher(sns, config.snsTopicArn);
  const relay = new OutboxRelay(outbox, publisher, logger, metrics, {
    retentionDays: config.outboxRetentionDays,
    ...options.relayOptions,
  });
  return {
    config,
    logger,
    sequelize,
    sns,
    metrics,
    tokens,
    accounts: new AccountUseCases(users, tokens, {
      rounds: config.bcryptRounds,
      concurrency: config.bcryptConcurrency,
    }),
    catalogue: new CatalogueUseCases(inTransaction, sellers, products, users),
    purchases: new PurchaseUseCases(
      inTransaction,
      purchases,
      products,
      outbox,
      relay,
      config.currency,
    ),
    publisher,
    relay,
  };
}

/**
 * How the service stops, in order: stop serving (`stopServing`, the HTTP server) and let the
 * requests in flight finish, the relay's pass, then close the clients. For onShutdown in
 * main.ts; the tests close their services with the same steps.
 */
export function shutdownSteps(
  services: Services,
  stopServing: () => Promise<void> = () => Promise.resolve(),
): NamedShutdownStep[] {
  const { relay, sequelize, sns } = services;
  return [
    { name: 'http server', run: stopServing },
    { name: 'outbox relay', run: () => relay.stop() },
    { name: 'postgres pool', run: () => sequelize.close(), closesConnection: true },
    { name: 'sns client', run: () => sns.destroy(), closesConnection: true },
  ];
}
