import { createSnsClient, createSqsClient, provisionMessaging } from '@marketplace/common';
import { Redis } from 'ioredis';
import { nameRunPrefix } from '../../../test-support/bullmq';
import { dropDatabase, testDatabaseUrl } from '../../../test-support/database';
import { startEmulator } from '../../../test-support/emulator';
import { freshLogDir } from '../../../test-support/log-capture';
import type { Emulator } from '../../../test-support/emulator';
import { scanAtEndOfRun } from '../../../test-support/secret-scan';
import { loadConfig } from '../../src/config';
import { prepareDatabase } from '../../src/data/database';

/**
 * Once per run: a fresh, migrated `payments_test` database, an SNS/SQS emulator of this
 * project's own (provisioned as `make run` does), Redis reachable and the run's BullMQ prefix
 * root named. Workers inherit the TEST_PAYMENTS_* variables.
 */
export default async function globalSetup(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const databaseUrl = testDatabaseUrl('payments_test');
  await dropDatabase(databaseUrl);
  const sequelize = await prepareDatabase(databaseUrl);
  await sequelize.close();

  // The service's own default unless TEST_REDIS_URL names another.
  const { redisUrl } = loadConfig({ NODE_ENV: 'test', REDIS_URL: process.env.TEST_REDIS_URL });
  const redis = new Redis(redisUrl);
  await redis.ping();
  await redis.quit();
  nameRunPrefix();

  const emulator = await startEmulator();
  (globalThis as { __paymentsEmulator__?: Emulator }).__paymentsEmulator__ = emulator;
  const aws = { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: emulator.url };
  const sns = createSnsClient(aws);
  const sqs = createSqsClient(aws);
  await provisionMessaging(sns, sqs);
  sns.destroy();
  sqs.destroy();

  process.env.TEST_PAYMENTS_DATABASE_URL = databaseUrl;
  process.env.TEST_PAYMENTS_LOG_DIR = freshLogDir('payment_gateway');
  scanAtEndOfRun({ logDir: process.env.TEST_PAYMENTS_LOG_DIR, databaseUrls: [databaseUrl] });
  process.env.TEST_PAYMENTS_AWS_ENDPOINT_URL = emulator.url;
  process.env.TEST_PAYMENTS_REDIS_URL = redisUrl;
}
