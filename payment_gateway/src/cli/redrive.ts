import { createSqsClient } from '@marketplace/common';
import { loadConfig } from '../config';
import { QueueLocator } from '../messaging/queue-locator';
import { redrive } from '../messaging/redrive';

/** `make redrive`: DLQ -> purchases queue. */
async function main(): Promise<void> {
  const config = loadConfig();
  const sqs = createSqsClient(config.aws);
  try {
    const moved = await redrive(sqs, new QueueLocator(sqs, config.sqsQueueUrl));
    process.stdout.write(`redrive: moved ${moved} message(s) from the dead-letter queue back\n`);
  } finally {
    sqs.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `redrive failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
