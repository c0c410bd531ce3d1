import {
  CreateTopicCommand,
  ListSubscriptionsByTopicCommand,
  SetSubscriptionAttributesCommand,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import type { SNSClient, Subscription } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { required } from './aws';
import { DLQ_NAME, EVENT_TYPES, MAX_RECEIVE_COUNT, QUEUE_NAME, TOPIC_NAME } from './events';

export interface MessagingNames {
  topic: string;
  queue: string;
  dlq: string;
}

export const DEFAULT_MESSAGING_NAMES: MessagingNames = {
  topic: TOPIC_NAME,
  queue: QUEUE_NAME,
  dlq: DLQ_NAME,
};

export interface MessagingResources {
  topicArn: string;
  queueUrl: string;
  queueArn: string;
  dlqUrl: string;
  dlqArn: string;
  subscriptionArn: string;
}

/** Seconds a received message stays invisible; the drain job's budget stays well under it. */
export const VISIBILITY_TIMEOUT_SECONDS = 60;
/** 14 days, SQS's maximum, on the queue and the DLQ. */
export const RETENTION_SECONDS = 14 * 24 * 3600;

const SUBSCRIPTION_ATTRIBUTES = {
  RawMessageDelivery: 'true',
  FilterPolicy: JSON.stringify({ event_type: [...EVENT_TYPES] }),
};

async function ensureQueue(
  sqs: SQSClient,
  name: string,
  attributes: Record<string, string>,
): Promise<{ url: string; arn: string }> {
  // CreateQueue is idempotent only with identical attributes, so create bare and set them after.
  const created = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  const url = required(created.QueueUrl, `URL for queue ${name}`);
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes }));
  const read = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  return { url, arn: required(read.Attributes?.QueueArn, `ARN for queue ${name}`) };
}

async function findSubscription(
  sns: SNSClient,
  topicArn: string,
  endpoint: string,
): Promise<Subscription | undefined> {
  let NextToken: string | undefined;
  do {
    const page = await sns.send(
      new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken }),
    );
    const found = page.Subscriptions?.find((s) => s.Protocol === 'sqs' && s.Endpoint === endpoint);
    if (found) return found;
    NextToken = page.NextToken;
  } while (NextToken);
  return undefined;
}

/**
 * Creates (or brings up to date) the topic, the payment gateway's queue with its DLQ and
 * redrive policy, the queue policy that lets the topic write to it, and the raw, filtered
 * subscription. Safe to run any number of times, against the emulator or real AWS.
 */
export async function provisionMessaging(
  sns: SNSClient,
  sqs: SQSClient,
  names: MessagingNames = DEFAULT_MESSAGING_NAMES,
): Promise<MessagingResources> {
  const topic = await sns.send(new CreateTopicCommand({ Name: names.topic }));
  const topicArn = required(topic.TopicArn, `ARN for topic ${names.topic}`);

  const dlq = await ensureQueue(sqs, names.dlq, {
    MessageRetentionPeriod: String(RETENTION_SECONDS),
  });
  const queue = await ensureQueue(sqs, names.queue, {
    // SQS's maximum: a sale waiting out a long gateway outage is kept as long as possible.
    MessageRetentionPeriod: String(RETENTION_SECONDS),
    VisibilityTimeout: String(VISIBILITY_TIMEOUT_SECONDS),
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: dlq.arn,
      maxReceiveCount: MAX_RECEIVE_COUNT,
    }),
    Policy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'AllowTopicToSend',
          Effect: 'Allow',
          Principal: { Service: 'sns.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: '*',
          Condition: { ArnEquals: { 'aws:SourceArn': topicArn } },
        },
      ],
    }),
  });

  let subscriptionArn: string;
  const existing = await findSubscription(sns, topicArn, queue.arn);
  if (existing?.SubscriptionArn) {
    subscriptionArn = existing.SubscriptionArn;
    for (const [AttributeName, AttributeValue] of Object.entries(SUBSCRIPTION_ATTRIBUTES)) {
      await sns.send(
        new SetSubscriptionAttributesCommand({
          SubscriptionArn: subscriptionArn,
          AttributeName,
          AttributeValue,
        }),
      );
    }
  } else {
    const subscribed = await sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: queue.arn,
        Attributes: SUBSCRIPTION_ATTRIBUTES,
        ReturnSubscriptionArn: true,
      }),
    );
    subscriptionArn = required(subscribed.SubscriptionArn, 'subscription ARN');
  }

  return {
    topicArn,
    queueUrl: queue.url,
    queueArn: queue.arn,
    dlqUrl: dlq.url,
    dlqArn: dlq.arn,
    subscriptionArn,
  };
}
