import type { AddressInfo } from 'node:net';
import {
  closeServer,
  createHttpServer,
  createLogger,
  createSqsClient,
  createSnsClient,
  provisionMessaging,
} from '@marketplace/common';
import type { MessagingResources } from '@marketplace/common';
import type { Express } from 'express';
import type { Redis } from 'ioredis';
import { obliterateQueues, testBullPrefix } from '../../../test-support/bullmq';
import { captureLogs } from '../../../test-support/log-capture';
import { testEnvironment } from '../../../test-support/test-env';
import type { Env } from '../../../test-support/test-env';
import { unique } from '../../../test-support/unique';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { heartbeatKey } from '../../src/messaging/drain-heartbeat';
import { POLL_QUEUE_NAME } from '../../src/messaging/drain-scheduler';
import type { TunableDrainOptions } from '../../src/messaging/sqs-drain';
import { RECONCILE_QUEUE_NAME } from '../../src/reconciliation/reconcile-scheduler';
import { openServices, shutdownSteps } from '../../src/services';
import type { Services } from '../../src/services';

/** The environment the service is configured from in tests (see global-setup). */
export function testEnv(overrides: Env = {}): Env {
  return testEnvironment(
    {
      DATABASE_URL: process.env.TEST_PAYMENTS_DATABASE_URL,
      AWS_ENDPOINT_URL: process.env.TEST_PAYMENTS_AWS_ENDPOINT_URL,
      AWS_REGION: 'us-east-1',
      REDIS_URL: process.env.TEST_PAYMENTS_REDIS_URL,
      POLL_INTERVAL_MS: '200',
    },
    overrides,
  );
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

/** Everything the gateway keeps in Redis under `prefix`: its queues and the drain heartbeat. */
export async function removeGatewayKeys(redis: Redis, prefix: string): Promise<void> {
  await obliterateQueues(redis, prefix, [POLL_QUEUE_NAME, RECONCILE_QUEUE_NAME]);
  await redis.del(heartbeatKey(prefix));
}

export interface TestGateway {
  app: Express;
  services: Services;
  logs: string[];
  /** Stops it as main.ts does, and leaves nothing of its own in Redis. */
  close(): Promise<void>;
}

/**
 * The real service in-process, opened by main.ts's own `openServices` (the same database,
 * Redis and SQS settings), on the given queue and a BullMQ prefix of its own unless given.
 * The drain runs only when the test starts it.
 */
export async function startTestGateway(
  options: {
    queueUrl?: string;
    drainOptions?: Partial<TunableDrainOptions>;
    bullPrefix?: string;
    /** Other settings (the end-to-end suite points at its own database and emulator). */
    env?: Env;
    /** Where its log lines are kept for the end-of-run secret scan (this project's folder). */
    logDir?: string;
  } = {},
): Promise<TestGateway> {
  const config = loadConfig(
    testEnv({
      BULLMQ_PREFIX: options.bullPrefix ?? testBullPrefix('gateway'),
      ...options.env,
      SQS_QUEUE_URL: options.queueUrl,
    }),
  );
  const { lines: logs, destination } = captureLogs(
    options.logDir ?? process.env.TEST_PAYMENTS_LOG_DIR,
  );
  const logger = createLogger({ name: 'payment_gateway', level: 'info' }, destination);
  const services = await openServices(config, logger, {
    drainOptions: {
      waitTimeSeconds: 0,
      invalidRetryDelaySeconds: () => 0,
      ...options.drainOptions,
    },
  });
  // Connected before the test talks to it (main.ts's startJobs waits likewise).
  await services.scheduler.queue.waitUntilReady();
  return {
    app: createApp(services),
    services,
    logs,
    async close() {
      const steps = shutdownSteps(services);
      try {
        // Streams and workers first (as main.ts stops), then the keys, then the clients.
        for (const step of steps.filter((each) => !each.closesConnection)) await step.run();
        await removeGatewayKeys(services.redis, config.bullPrefix);
      } finally {
        for (const step of steps.filter((each) => each.closesConnection)) await step.run();
      }
    },
  };
}

/**
 * The app on a port of its own, for a client supertest cannot be: an event stream read as it
 * comes (and closed by the test).
 */
export async function listening(app: Express): Promise<{ url: string; close(): Promise<void> }> {
  const server = createHttpServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => closeServer(server) };
}
