import { createSnsClient, createSqsClient, provisionMessaging } from '@marketplace/common';
import { prepareDatabase as prepareEcommerce } from '../../ecommerce/src/data/database';
import { prepareDatabase as preparePayments } from '../../payment_gateway/src/data/database';
import { nameRunPrefix } from '../../test-support/bullmq';
import { recreateDatabase, testDatabaseUrl } from '../../test-support/database';
import { startEmulator } from '../../test-support/emulator';
import type { Emulator } from '../../test-support/emulator';
import { freshLogDir } from '../../test-support/log-capture';
import { scanAtEndOfRun } from '../../test-support/secret-scan';

/**
 * Both services' databases and one emulator with the production topology, for this suite only,
 * and the run's BullMQ prefix root. The logs of the apps it runs in-process (TEST_E2E_LOG_DIR)
 * and the output of the service processes it starts (TEST_SERVICE_LOG_DIR) go to one folder,
 * scanned for secrets at the end of the run.
 */
export default async function globalSetup(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const ecommerceUrl = testDatabaseUrl('ecommerce_e2e_test');
  const paymentsUrl = testDatabaseUrl('payments_e2e_test');
  await recreateDatabase(ecommerceUrl, prepareEcommerce);
  await recreateDatabase(paymentsUrl, preparePayments);
  nameRunPrefix();
  const emulator = await startEmulator();
  (globalThis as { __e2eEmulator__?: Emulator }).__e2eEmulator__ = emulator;
  const aws = { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: emulator.url };
  const sns = createSnsClient(aws);
  const sqs = createSqsClient(aws);
  const resources = await provisionMessaging(sns, sqs);
  sns.destroy();
  sqs.destroy();
  const logDir = freshLogDir('e2e');
  scanAtEndOfRun({ logDir, databaseUrls: [ecommerceUrl, paymentsUrl] });
  Object.assign(process.env, {
    TEST_E2E_LOG_DIR: logDir,
    TEST_SERVICE_LOG_DIR: logDir,
    TEST_E2E_ECOMMERCE_DATABASE_URL: ecommerceUrl,
    TEST_E2E_PAYMENTS_DATABASE_URL: paymentsUrl,
    TEST_E2E_AWS_ENDPOINT_URL: emulator.url,
    TEST_E2E_TOPIC_ARN: resources.topicArn,
    TEST_E2E_QUEUE_URL: resources.queueUrl,
  });
}
