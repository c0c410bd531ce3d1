import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import type { SNSClient } from '@aws-sdk/client-sns';
import { EVENT_TYPES, TOPIC_NAME } from '@marketplace/common';
import { eventually } from './eventually';
import { unique } from './unique';

/**
 * A queue of this test's own, subscribed to the purchases topic the way the payment gateway's
 * queue is (raw delivery, filter on event_type), to see what really reached SNS.
 */
export async function subscribeTestQueue(sns: SNSClient, sqs: SQSClient): Promise<string> {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: TOPIC_NAME }));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: unique('test-queue') }));
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  await sqs.send(
    new SetQueueAttributesCommand({ QueueUrl, Attributes: { VisibilityTimeout: '30' } }),
  );
  await sns.send(
    new SubscribeCommand({
      TopicArn,
      Protocol: 'sqs',
      Endpoint: attributes.Attributes!.QueueArn,
      Attributes: {
        RawMessageDelivery: 'true',
        FilterPolicy: JSON.stringify({ event_type: [...EVENT_TYPES] }),
      },
    }),
  );
  return QueueUrl!;
}

export async function deleteQueue(sqs: SQSClient, queueUrl: string): Promise<void> {
  await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
}

/**
 * Receives from the queue until `done` says the collected messages are enough, or the
 * timeout passes; returns what arrived either way so the assertion shows it.
 */
export async function receiveUntil(
  sqs: SQSClient,
  queueUrl: string,
  done: (messages: Message[]) => boolean,
  timeoutMs = 10_000,
): Promise<Message[]> {
  const messages: Message[] = [];
  const receive = async () => {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    messages.push(...(out.Messages ?? []));
    return messages;
  };
  // Each receive long-polls for up to a second: no pause between them.
  return done(messages) ? messages : eventually(receive, done, { timeoutMs, intervalMs: 0 });
}
