import type { SNSClient } from '@aws-sdk/client-sns';
import type { Logger } from '@marketplace/common';
import type { Sequelize } from 'sequelize';
import type { Config } from './config';
import { transactionRunner } from './data/database';
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
  metrics: Metrics;
  tokens: TokenService;
  accounts: AccountUseCases;
  catalogue: CatalogueUseCases;
  purchases: PurchaseUseCases;
  publisher: SnsPublisher;
  relay: OutboxRelay;
}

export function createServices(deps: {
  config: Config;
  logger: Logger;
  sequelize: Sequelize;
  sns: SNSClient;
  relayOptions?: Partial<TunableRelayOptions>;
}): Services {
  const { config, logger, sequelize } = deps;
  const inTransaction = transactionRunner(sequelize);
  const users = new UserRepository(sequelize);
  const sellers = new SellerRepository(sequelize);
  const products = new ProductRepository(sequelize);
  const purchases = new PurchaseRepository(sequelize);
  const outbox = new OutboxRepository(sequelize);
  const metrics = createMetrics(() => outbox.pendingCount());
  const tokens = new TokenService(config.jwt);
  const publisher = new SnsPublisher(deps.sns, config.snsTopicArn);
  const relay = new OutboxRelay(outbox, publisher, logger, metrics, {
    retentionDays: config.outboxRetentionDays,
    ...deps.relayOptions,
  });
  return {
    config,
    logger,
    sequelize,
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
