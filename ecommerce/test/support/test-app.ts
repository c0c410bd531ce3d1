import type { SNSClient } from '@aws-sdk/client-sns';
import { createLogger, createSnsClient } from '@marketplace/common';
import type { Express } from 'express';
import { captureLogs } from '../../../test-support/log-capture';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { createSequelize } from '../../src/data/database';
import type { TunableRelayOptions } from '../../src/messaging/outbox-relay';
import { createServices } from '../../src/services';
import type { Services } from '../../src/services';

/** The environment the app is configured from in tests (see global-setup). */
export function testEnv(overrides: Record<string, string | undefined> = {}) {
  const env: Record<string, string | undefined> = {
    ...process.env,
    NODE_ENV: 'test',
    DATABASE_URL: process.env.TEST_ECOMMERCE_DATABASE_URL,
    AWS_ENDPOINT_URL: process.env.TEST_ECOMMERCE_AWS_ENDPOINT_URL,
    AWS_REGION: 'us-east-1',
    BCRYPT_ROUNDS: '4',
    LOG_LEVEL: 'silent',
  };
  for (const [key, value] of Object.entries(overrides)) if (value !== undefined) env[key] = value;
  return env;
}

export interface TestApp {
  app: Express;
  services: Services;
  /** The SNS client the relay publishes with. */
  sns: SNSClient;
  /** Every log line the app wrote, as text. */
  logs: string[];
  close(): Promise<void>;
}

/**
 * The real app in-process, wired exactly as main.ts wires it, against the test database and
 * the emulator (or another endpoint, to simulate an outage). The relay runs only if asked.
 */
export function startTestApp(
  options: {
    awsEndpoint?: string;
    relay?: boolean;
    relayOptions?: Partial<TunableRelayOptions>;
    /** Other settings (the end-to-end suite points at its own database and emulator). */
    env?: Record<string, string | undefined>;
  } = {},
): TestApp {
  const config = loadConfig(testEnv({ ...options.env, AWS_ENDPOINT_URL: options.awsEndpoint }));
  const { lines: logs, destination } = captureLogs(process.env.TEST_ECOMMERCE_LOG_DIR);
  const logger = createLogger({ name: 'ecommerce', level: 'info' }, destination);
  const sequelize = createSequelize(config.databaseUrl);
  const sns = createSnsClient(config.aws);
  const services = createServices({
    config,
    logger,
    sequelize,
    sns,
    relayOptions: { sweepIntervalMs: 200, maxBackoffMs: 1000, ...options.relayOptions },
  });
  if (options.relay) services.relay.start();
  return {
    app: createApp(services),
    services,
    sns,
    logs,
    async close() {
      await services.relay.stop();
      await sequelize.close();
      sns.destroy();
    },
  };
}
