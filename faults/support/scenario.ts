import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SNSClient } from '@aws-sdk/client-sns';
import {
  createSequelize,
  createSnsClient,
  createSqsClient,
  provisionMessaging,
} from '@marketplace/common';
import type { MessagingResources } from '@marketplace/common';
import type { Sequelize } from 'sequelize';
import { prepareDatabase as prepareEcommerce } from '../../ecommerce/src/data/database';
import { loadFixtures } from '../../ecommerce/src/data/fixtures';
import { prepareDatabase as preparePayments } from '../../payment_gateway/src/data/database';
import { dropDatabase } from '../../test-support/database';
import { startEmulator } from '../../test-support/emulator';
import type { Emulator } from '../../test-support/emulator';
import { OwnRedis } from '../../test-support/processes';
import { startService, stopService } from '../../test-support/service-process';
import type { Env } from '../../test-support/test-env';
import type { ServiceProcess } from '../../test-support/service-process';
import { unique } from '../../test-support/unique';
import { PostgresCluster } from './infrastructure';

export interface Buyer {
  username: string;
  token: string;
}

/**
 * One scenario's world: its own two databases in the suite's PostgreSQL cluster, its own
 * emulator (topic, queue, DLQ as provisioned in production), its own redis-server, the
 * fixtures loaded, and the service processes it starts (stopped at close).
 */
export class Scenario {
  readonly processes: ServiceProcess[] = [];
  readonly bullPrefix: string;
  readonly ecommerce: Sequelize;
  readonly payments: Sequelize;

  private constructor(
    readonly name: string,
    readonly postgres: PostgresCluster,
    readonly redis: OwnRedis,
    readonly ecommerceDbUrl: string,
    readonly paymentsDbUrl: string,
    readonly emulator: Emulator,
    readonly messaging: MessagingResources,
    readonly sqs: SQSClient,
    private readonly sns: SNSClient,
  ) {
    this.bullPrefix = unique(name);
    this.ecommerce = createSequelize(ecommerceDbUrl);
    this.payments = createSequelize(paymentsDbUrl);
  }

  /** In the fault suite's own PostgreSQL cluster unless another (`make bench`: the shared one). */
  static async open(
    name: string,
    postgres: PostgresCluster = PostgresCluster.fromEnv(),
  ): Promise<Scenario> {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    const suffix = process.env.TEST_DB_SUFFIX ?? '';
    const ecommerceDbUrl = `${postgres.url}/ecommerce_${name}${suffix}`;
    const paymentsDbUrl = `${postgres.url}/payments_${name}${suffix}`;
    for (const [url, prepare] of [
      [ecommerceDbUrl, prepareEcommerce],
      [paymentsDbUrl, preparePayments],
    ] as const) {
      await dropDatabase(url);
      const sequelize = await prepare(url);
      if (prepare === prepareEcommerce) await loadFixtures(sequelize, { bcryptRounds: 4 });
      await sequelize.close();
    }
    const emulator = await startEmulator();
    const aws = { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: emulator.url };
    const sns = createSnsClient(aws);
    const sqs = createSqsClient(aws);
    const messaging = await provisionMessaging(sns, sqs);
    return new Scenario(
      name,
      postgres,
      await OwnRedis.start(),
      ecommerceDbUrl,
      paymentsDbUrl,
      emulator,
      messaging,
      sqs,
      sns,
    );
  }

  shopEnv(overrides: Env = {}): Env {
    return {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATABASE_URL: this.ecommerceDbUrl,
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL: this.emulator.url,
      SNS_TOPIC_ARN: this.messaging.topicArn,
      BCRYPT_ROUNDS: '4',
      ...overrides,
    };
  }

  gatewayEnv(overrides: Env = {}): Env {
    return {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATABASE_URL: this.paymentsDbUrl,
      REDIS_URL: this.redis.url,
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL: this.emulator.url,
      SQS_QUEUE_URL: this.messaging.queueUrl,
      POLL_INTERVAL_MS: '200',
      SCHEDULE_CHECK_INTERVAL_MS: '1000',
      BULLMQ_PREFIX: this.bullPrefix,
      ...overrides,
    };
  }

  async startShop(overrides: Env = {}): Promise<ServiceProcess> {
    return this.track(await startService('ecommerce/dist/main.js', this.shopEnv(overrides)));
  }

  /** RUN_MODE all (default), api or worker; `readyPath: '/health'` when readiness may lag. */
  async startGateway(
    overrides: Env = {},
    options: { readyPath?: string } = {},
  ): Promise<ServiceProcess> {
    return this.track(
      await startService('payment_gateway/dist/main.js', this.gatewayEnv(overrides), {
        timeoutMs: 60_000,
        ...options,
      }),
    );
  }

  private track(service: ServiceProcess): ServiceProcess {
    this.processes.push(service);
    return service;
  }

  /** Registers `count` customers through the API and logs each in. */
  async buyers(shopUrl: string, count: number): Promise<Buyer[]> {
    const buyers: Buyer[] = [];
    for (let i = 0; i < count; i++) {
      const username = unique(`buyer${i}`);
      const credentials = { username, password: 'faults-password' };
      const registered = await fetch(`${shopUrl}/user`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ ...credentials, email: `${username}@example.com` }),
      });
      if (registered.status !== 201) throw new Error(`register: ${registered.status}`);
      const login = await fetch(`${shopUrl}/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(credentials),
      });
      if (login.status !== 200) throw new Error(`login: ${login.status}`);
      buyers.push({ username, token: ((await login.json()) as { token: string }).token });
    }
    return buyers;
  }

  /** Messages in the queue or the DLQ, visible and in flight. */
  async depth(queue: 'queue' | 'dlq'): Promise<number> {
    const out = await this.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queue === 'queue' ? this.messaging.queueUrl : this.messaging.dlqUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return (
      Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) +
      Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
    );
  }

  /** SIGTERM to what still runs (SIGKILL after 15 s), then the emulator and connections. */
  async close(): Promise<void> {
    await Promise.all(
      this.processes.map(async (service) => {
        const timer = setTimeout(() => service.child.kill('SIGKILL'), 15_000);
        await stopService(service);
        clearTimeout(timer);
      }),
    );
    this.sqs.destroy();
    this.sns.destroy();
    await Promise.all([this.ecommerce.close(), this.payments.close()]);
    await Promise.all([this.emulator.stop(), this.redis.down()]);
  }
}

/** Reads one metric's value from a Prometheus text exposition (NaN when absent). */
export async function metric(serviceUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${serviceUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').pop()) : NaN;
}

/** A duration or count from the environment (FAULT_*), for shorter runs while developing. */
export function setting(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}
