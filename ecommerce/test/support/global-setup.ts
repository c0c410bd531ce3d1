import { Client } from 'pg';
import { createSnsClient, createSqsClient, provisionMessaging } from '@marketplace/common';
import { prepareDatabase } from '../../src/data/database';
import { startEmulator } from './emulator';

/**
 * Once per run: a fresh, migrated test database and the SNS/SQS emulator, provisioned the way
 * `make run` does it. Workers inherit the environment set here.
 */
export default async function globalSetup(): Promise<void> {
  // Node 20 is supported by the SDK versions we lock; its notice about 2027 is noise in test output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const databaseUrl =
    process.env.ECOMMERCE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/ecommerce_test';
  const admin = new URL(databaseUrl);
  const name = admin.pathname.slice(1);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await client.end();
  const sequelize = await prepareDatabase(databaseUrl);
  await sequelize.close();

  const emulator = await startEmulator();
  (globalThis as { __emulator__?: unknown }).__emulator__ = emulator;

  Object.assign(process.env, {
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    AWS_ENDPOINT_URL: emulator.url,
    AWS_REGION: 'us-east-1',
    BCRYPT_ROUNDS: '4',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
  });
  const aws = { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: emulator.url };
  const sns = createSnsClient(aws);
  const sqs = createSqsClient(aws);
  await provisionMessaging(sns, sqs);
  // Provisioning twice must change nothing: it is what every `make run` does.
  await provisionMessaging(sns, sqs);
  sns.destroy();
  sqs.destroy();
}
