import { startTestApp } from '../../ecommerce/test/support/test-app';
import type { TestApp } from '../../ecommerce/test/support/test-app';
import type { RelayOptions } from '../../ecommerce/src/messaging/outbox-relay';
import { startTestGateway } from '../../payment_gateway/test/support/test-app';
import type { TestGateway } from '../../payment_gateway/test/support/test-app';

type Env = Record<string, string | undefined>;

/** ecommerce in-process on this suite's database and topic (see global-setup), relaying. */
export function startShop(
  options: { env?: Env; relayOptions?: Partial<RelayOptions> } = {},
): Promise<TestApp> {
  const env = process.env;
  return startTestApp({
    relay: true,
    logDir: process.env.TEST_E2E_LOG_DIR,
    awsEndpoint: env.TEST_E2E_AWS_ENDPOINT_URL,
    env: {
      DATABASE_URL: env.TEST_E2E_ECOMMERCE_DATABASE_URL,
      SNS_TOPIC_ARN: env.TEST_E2E_TOPIC_ARN,
      ...options.env,
    },
    ...(options.relayOptions ? { relayOptions: options.relayOptions } : {}),
  });
}

/** A payment gateway in-process on this suite's database and queue. */
export function startGateway(options: { bullPrefix: string; env?: Env }): Promise<TestGateway> {
  const env = process.env;
  return startTestGateway({
    queueUrl: env.TEST_E2E_QUEUE_URL,
    logDir: env.TEST_E2E_LOG_DIR,
    bullPrefix: options.bullPrefix,
    env: {
      DATABASE_URL: env.TEST_E2E_PAYMENTS_DATABASE_URL,
      AWS_ENDPOINT_URL: env.TEST_E2E_AWS_ENDPOINT_URL,
      ...options.env,
    },
    drainOptions: { waitTimeSeconds: 1 },
  });
}
