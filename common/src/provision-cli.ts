import { z } from 'zod';
import { createSnsClient, createSqsClient } from './aws';
import { ConfigError, parseEnv } from './config';
import { provisionMessaging } from './provision';

/**
 * `make run` and CI: create the topic, queues and subscription, idempotently. With
 * SNS_TOPIC_ARN and SQS_QUEUE_URL both configured (resources managed elsewhere) it does nothing.
 */
async function main(): Promise<void> {
  const env = parseEnv(
    z.object({
      AWS_REGION: z.string().min(1).default('us-east-1'),
      AWS_ENDPOINT_URL: z.url().optional(),
      SNS_TOPIC_ARN: z.string().optional(),
      SQS_QUEUE_URL: z.string().optional(),
    }),
    process.env,
  );
  if (env.SNS_TOPIC_ARN && env.SQS_QUEUE_URL) {
    process.stdout.write('provision: SNS_TOPIC_ARN and SQS_QUEUE_URL are configured; skipped\n');
    return;
  }
  const sns = createSnsClient(env);
  const sqs = createSqsClient(env);
  try {
    const resources = await provisionMessaging(sns, sqs);
    process.stdout.write(`provision: ${JSON.stringify(resources, null, 2)}\n`);
  } finally {
    sns.destroy();
    sqs.destroy();
  }
}

main().catch((error: unknown) => {
  const message =
    error instanceof ConfigError || !(error instanceof Error) ? String(error) : error.message;
  process.stderr.write(`provision failed: ${message}\n`);
  process.exit(1);
});
