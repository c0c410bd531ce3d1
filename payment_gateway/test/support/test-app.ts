import {
  createLogger,
  createSqsClient,
  createSnsClient,
  provisionMessaging,
} from '@marketplace/common';
import type { MessagingResources } from '@marketplace/common';
import type { Express } from 'express';
import { captureLogs } from '../../../test-support/log-capture';
import { Redis } from 'ioredis';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { createSequelize } from '@marketplace/common';
import type { TunableDrainOptions } from '../../src/messaging/sqs-drain';
import { createServices } from '../../src/services';
import type { Services } from '../../src/services';
import { unique } from '../../../test-support/unique';

export function testEnv(overrides: Record<string, string | undefined> = {}) {
  const env: Record<string, string | undefined> = {
    ...process.env,
    NODE_ENV: 'test',
    DATABASE_URL: process.env.TEST_PAYMENTS_DATABASE_URL,
    AWS_ENDPOINT_URL: process.env.TEST_PAYMENTS_AWS_ENDPOINT_URL,
    AWS_REGION: 'us-east-1',
    REDIS_URL: process.env.TEST_PAYMENTS_REDIS_URL,
    POLL_INTERVAL_MS: '200',
    LOG_LEVEL: 'silent',
  };
  for (const [key, value] of Object.entries(overrides)) if (value !== undefined) env[key] = value;
  return env;
}

/**
 * A topic, queue and DLQ of the test's own (provisioned exactly like production's), so no
 * test sees another's messages.
 */
export async function ownMessaging(): Promise<MessagingResources> {
  const aws = {
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL: process.env.TEST_PAYMENTS_AWS_ENDPOINT_URL,
  };
  const sns = createSnsClient(aws);
  const sqs = createSqsClient(aws);
  try {
    const name = unique('purchases');
    return await provisionMessaging(sns, sqs, {
      topic: name,
      queue: `${name}-queue`,
      dlq: `${name}-dlq`,
    });
  } finally {
    sns.destroy();
    sqs.destroy();
  }
}

export interface TestGateway {
  app: Express;
  services: Services;
  logs: string[];
  close(): Promise<void>;
}

/** The real service in-process, wired as main.ts wires it, on the given queue. */
export function startTestGateway(
  options: {
    queueUrl?: string;
    drainOptions?: Partial<TunableDrainOptions>;
    bullPrefix?: string;
    /** Other settings (the end-to-end suite points at its own database and emulator). */
    env?: Record<string, string | undefined>;
  } = {},
): TestGateway {
  const config = loadConfig(
    testEnv({
      BULLMQ_PREFIX: options.bullPrefix ?? unique('test-bull'),
      ...options.env,
      SQS_QUEUE_URL: options.queueUrl,
    }),
  );
  const { lines: logs, destination } = captureLogs(process.env.TEST_PAYMENTS_LOG_DIR);
  const logger = createLogger({ name: 'payment_gateway', level: 'info' }, destination);
  const sequelize = createSequelize(config.databaseUrl);
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  const sqs = createSqsClient(config.aws);
  const services = createServices({
    config,
    logger,
    sequelize,
    redis,
    sqs,
    drainOptions: {
      waitTimeSeconds: 0,
      invalidRetryDelaySeconds: () => 0,
      ...options.drainOptions,
    },
  });
  return {
    app: createApp(services),
    services,
    logs,
    async close() {
      await services.scheduler.close();
      await services.reconciliation?.close();
      await sequelize.close();
      await redis.quit();
      sqs.destroy();
    },
  };
}
