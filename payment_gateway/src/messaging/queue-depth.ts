import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { QueueAttributeName, SQSClient } from '@aws-sdk/client-sqs';
import type { QueueLocator } from './queue-locator';

/** SQS's approximate counts of one queue. */
export interface QueueCounts {
  /** Waiting to be received (ApproximateNumberOfMessages). */
  visible: number;
  /** Received and not yet deleted (ApproximateNumberOfMessagesNotVisible). */
  notVisible: number;
  /** Sent with a delay not yet over (ApproximateNumberOfMessagesDelayed). */
  delayed: number;
}

/** Every message the queue holds, whatever its state. */
export const messagesIn = (counts: QueueCounts) =>
  counts.visible + counts.notVisible + counts.delayed;

/**
 * The three counts in one call. Approximate: they "may not achieve consistency until at least
 * 1 minute after the producers stop sending messages" (GetQueueAttributes).
 */
async function countsOf(sqs: SQSClient, queueUrl: string): Promise<QueueCounts> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  const count = (name: QueueAttributeName) => Number(out.Attributes?.[name] ?? 0);
  return {
    visible: count('ApproximateNumberOfMessages'),
    notVisible: count('ApproximateNumberOfMessagesNotVisible'),
    delayed: count('ApproximateNumberOfMessagesDelayed'),
  };
}

/**
 * The purchases queue's and its dead-letter queue's counts, one GetQueueAttributes each: what
 * the `sqs_*` gauges show and what the reconciliation judges "still in the queue" by.
 */
export class QueueDepths {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queues: QueueLocator,
  ) {}

  async queue(): Promise<QueueCounts> {
    return countsOf(this.sqs, await this.queues.url());
  }

  async deadLetter(): Promise<QueueCounts> {
    return countsOf(this.sqs, await this.queues.deadLetterUrl());
  }
}
