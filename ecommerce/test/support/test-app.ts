import type { SNSClient } from '@aws-sdk/client-sns';
import { createLogger } from '@marketplace/common';
import type { Express } from 'express';
import { captureLogs } from '../../../test-support/log-capture';
import { testEnvironment } from '../../../test-support/test-env';
import type { Env } from '../../../test-support/test-env';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import type { TunableRelayOptions } from '../../src/messaging/outbox-relay';
import { openServices, shutdownSteps } from '../../src/services';
import type { Services } from '../../src/services';

/** The environment the app is configured from in tests (see global-setup). */
export function testEnv(overrides: Env = {}): Env {
  return testEnvironment(
    {
      DATABASE_URL: process.env.TEST_ECOMMERCE_DATABASE_URL,
      AWS_ENDPOINT_URL: process.env.TEST_ECOMMERCE_AWS_ENDPOINT_URL,
      AWS_REGION: 'us-east-1',
      BCRYPT_ROUNDS: '4',
    },
    overrides,
  );
}

export interface TestApp {
  app: Express;
  services: Services;
  /** The SNS client the relay publishes with. */
  sns: SNSClient;
  /** Every log line the app wrote, as text. */
  logs: string[];
  /** Stops it as main.ts does. */
  close(): Promise<void>;
}

/**
 * The real app in-process, opened by main.ts's own `openServices`, against the test database
 * and the emulator (or another endpoint, to simulate an outage). The relay runs only if asked.
 */
export async function startTestApp(
  options: {
    awsEndpoint?: string;
    relay?: boolean;
    relayOptions?: Partial<TunableRelayOptions>;
    /** Other settings (the end-to-end suite points at its own database and emulator). */
    env?: Env;
    /** Where its log lines are kept for the end-of-run secret scan (this project's folder). */
    logDir?: string;
  } = {},
): Promise<TestApp> {
  const config = loadConfig(testEnv({ ...options.env, AWS_ENDPOINT_URL: options.awsEndpoint }));
  const { lines: logs, destination } = captureLogs(
    options.logDir ?? process.env.TEST_ECOMMERCE_LOG_DIR,
  );
  const logger = createLogger({ name: 'ecommerce', level: 'info' }, destination);
  const services = await openServices(config, logger, {
    relayOptions: { sweepIntervalMs: 200, maxBackoffMs: 1000, ...options.relayOptions },
  });
  if (options.relay) services.relay.start();
  return {
    app: createApp(services),
    services,
    sns: services.sns,
    logs,
    async close() {
      for (const step of shutdownSteps(services)) await step.run();
    },
  };
}
