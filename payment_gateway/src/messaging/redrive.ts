import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { QueueLocator } from './queue-locator';

/**
 * Moves every message from the dead-letter queue back to the purchases queue (after a fix
 * is deployed). Each message is deleted from the DLQ only once the send succeeded, so a
 * failure part-way can at worst duplicate a message, which the ledger absorbs.
 */
export async function redrive(sqs: SQSClient, queues: QueueLocator): Promise<number> {
  const [queueUrl, dlqUrl] = await Promise.all([queues.url(), queues.deadLetterUrl()]);
  let moved = 0;
  for (;;) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    const messages = out.Messages ?? [];
    if (messages.length === 0) return moved;
    const sent = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.map((m, i) => ({
          Id: String(i),
          MessageBody: m.Body ?? '',
          ...(m.MessageAttributes ? { MessageAttributes: m.MessageAttributes } : {}),
        })),
      }),
    );
    const delivered = new Set((sent.Successful ?? []).map((s) => s.Id));
    const entries = messages
      .map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle }))
      .filter((e) => delivered.has(e.Id));
    if (entries.length > 0) {
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: dlqUrl, Entries: entries }));
    }
    moved += entries.length;
    if (entries.length < messages.length) {
      throw new Error(
        `${messages.length - entries.length} messages could not be sent back; they stay in the DLQ`,
      );
    }
  }
}
