import { createSnsClient, createSqsClient, provisionMessaging } from '@marketplace/common';
import { dropDatabase, testDatabaseUrl } from '../../../test-support/database';
import { startEmulator } from '../../../test-support/emulator';
import { freshLogDir } from '../../../test-support/log-capture';
import type { Emulator } from '../../../test-support/emulator';
import { scanAtEndOfRun } from '../../../test-support/secret-scan';
import { prepareDatabase } from '../../src/data/database';

/**
 * Once per run: a fresh, migrated test database and an SNS/SQS emulator of this project's
 * own, provisioned the way `make run` does it. Workers inherit the TEST_ECOMMERCE_* variables
 * (prefixed, because every project's global setup runs in one process).
 */
export default async function globalSetup(): Promise<void> {
  // Node 20 is supported by the SDK versions we lock; its notice about 2027 is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const databaseUrl = testDatabaseUrl('ecommerce_test');
  await dropDatabase(databaseUrl);
  const sequelize = await prepareDatabase(databaseUrl);
  await sequelize.close();

  const emulator = await startEmulator();
  (globalThis as { __ecommerceEmulator__?: Emulator }).__ecommerceEmulator__ = emulator;
  process.env.TEST_ECOMMERCE_DATABASE_URL = databaseUrl;
  process.env.TEST_ECOMMERCE_LOG_DIR = freshLogDir('ecommerce');
  scanAtEndOfRun({ logDir: process.env.TEST_ECOMMERCE_LOG_DIR, databaseUrls: [databaseUrl] });
  process.env.TEST_ECOMMERCE_AWS_ENDPOINT_URL = emulator.url;

  const aws = { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: emulator.url };
  const sns = createSnsClient(aws);
  const sqs = createSqsClient(aws);
  await provisionMessaging(sns, sqs);
  // Provisioning twice must change nothing: it is what every `make run` does.
  await provisionMessaging(sns, sqs);
  sns.destroy();
  sqs.destroy();
}
