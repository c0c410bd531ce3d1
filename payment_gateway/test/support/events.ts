import { randomUUID } from 'node:crypto';
import { PublishCommand } from '@aws-sdk/client-sns';
import { SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { createSnsClient, createSqsClient, devKeyPair } from '@marketplace/common';
import type { PurchaseEvent, Role } from '@marketplace/common';
import { signToken } from '../../../test-support/tokens';

export function purchaseEvent(
  items: Record<string, number>,
  overrides: Partial<PurchaseEvent> = {},
): PurchaseEvent {
  const now = new Date().toISOString();
  return {
    event_id: randomUUID(),
    event_type: 'order_placed',
    version: 1,
    occurred_at: now,
    purchase_id: randomUUID(),
    purchase_date: now,
    currency: 'BRL',
    items,
    ...overrides,
  };
}

/** The cancellation of a placed purchase: same purchase, same amounts. */
export const cancellationOf = (placed: PurchaseEvent): PurchaseEvent => ({
  ...placed,
  event_id: randomUUID(),
  event_type: 'order_cancelled',
  occurred_at: new Date().toISOString(),
});

const aws = () => ({
  AWS_REGION: 'us-east-1',
  AWS_ENDPOINT_URL: process.env.TEST_PAYMENTS_AWS_ENDPOINT_URL,
});

/** Publishes as ecommerce does: to the topic, with the event_type attribute. */
export async function publish(
  topicArn: string,
  event: PurchaseEvent,
  /** More string attributes (a `traceparent`, say). */
  attributes: Record<string, string> = {},
): Promise<void> {
  const sns = createSnsClient(aws());
  try {
    await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: JSON.stringify(event),
        MessageAttributes: Object.fromEntries(
          Object.entries({ event_type: event.event_type, ...attributes }).map(([name, value]) => [
            name,
            { DataType: 'String', StringValue: value },
          ]),
        ),
      }),
    );
  } finally {
    sns.destroy();
  }
}

/** Puts a body straight on the queue (an SNS envelope, or garbage). */
export async function sendRaw(queueUrl: string, body: string): Promise<void> {
  const sqs = createSqsClient(aws());
  try {
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
  } finally {
    sqs.destroy();
  }
}

/** A token as ecommerce issues them, signed with the development/test key. */
export function tokenFor(
  claims: { role: Role; seller_id?: string },
  options: { expiresInSeconds?: number } = {},
): {
  Authorization: string;
} {
  const token = signToken(
    devKeyPair().privateKey,
    { sub: randomUUID(), username: `user-${claims.role}`, ...claims },
    options.expiresInSeconds === undefined ? {} : { expiresIn: options.expiresInSeconds },
  );
  return { Authorization: `Bearer ${token}` };
}

/** Puts events straight on the queue as the raw subscription delivers them, 10 per request. */
export async function sendEvents(
  sqs: SQSClient,
  queueUrl: string,
  events: PurchaseEvent[],
): Promise<void> {
  for (let i = 0; i < events.length; i += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: events
          .slice(i, i + 10)
          .map((event, k) => ({ Id: String(k), MessageBody: JSON.stringify(event) })),
      }),
    );
  }
}

/**
 * Watches the ReceiveMessage calls a (real) SQS client makes: how many are in flight at once,
 * how many in all, and the order of receives and deletes (`commands`, as answered);
 * `afterReceive` runs before each answer reaches the drain, with the call's number (1 for the
 * first made).
 */
export function watchReceives(sqs: SQSClient, afterReceive?: (call: number) => Promise<void>) {
  const seen = { inFlight: 0, maxInFlight: 0, total: 0, commands: [] as string[] };
  sqs.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'DeleteMessageBatchCommand') {
        const output = await next(args);
        seen.commands.push('delete');
        return output;
      }
      if (context.commandName !== 'ReceiveMessageCommand') return next(args);
      seen.inFlight += 1;
      seen.total += 1;
      const call = seen.total;
      seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
      try {
        const output = await next(args);
        await afterReceive?.(call);
        seen.commands.push('receive');
        return output;
      } finally {
        seen.inFlight -= 1;
      }
    },
    { step: 'initialize', name: 'watchReceives' },
  );
  return seen;
}
