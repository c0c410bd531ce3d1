import {
  CreateTopicCommand,
  GetTopicAttributesCommand,
  PublishBatchCommand,
} from '@aws-sdk/client-sns';
import type { SNSClient } from '@aws-sdk/client-sns';
import { TOPIC_NAME } from '@marketplace/common';
import type { PurchaseEvent } from '@marketplace/common';

export interface PublishResult {
  published: string[];
  failed: { id: string; error: string }[];
}

/** SNS accepts at most 10 entries per PublishBatch. */
export const MAX_BATCH = 10;

/**
 * Publishes purchase events to the `purchases` topic with the `event_type` attribute that the
 * subscription's filter policy reads. Without a configured ARN the topic is resolved (and
 * created) on first use, so SNS being down at start-up delays events instead of the service.
 */
export class SnsPublisher {
  private topicArn: Promise<string> | undefined;

  constructor(
    private readonly sns: SNSClient,
    configuredTopicArn?: string,
  ) {
    if (configuredTopicArn) this.topicArn = Promise.resolve(configuredTopicArn);
  }

  private resolveTopicArn(): Promise<string> {
    this.topicArn ??= this.sns
      .send(new CreateTopicCommand({ Name: TOPIC_NAME }))
      .then((out) => {
        if (!out.TopicArn) throw new Error('CreateTopic returned no TopicArn');
        return out.TopicArn;
      })
      .catch((error: unknown) => {
        this.topicArn = undefined; // try again next time
        throw error;
      });
    return this.topicArn;
  }

  /** Up to MAX_BATCH events; reports each as published or failed, never throws. */
  async publish(events: { id: string; payload: PurchaseEvent }[]): Promise<PublishResult> {
    try {
      const out = await this.sns.send(
        new PublishBatchCommand({
          TopicArn: await this.resolveTopicArn(),
          PublishBatchRequestEntries: events.map((event) => ({
            Id: event.id,
            Message: JSON.stringify(event.payload),
            MessageAttributes: {
              event_type: { DataType: 'String', StringValue: event.payload.event_type },
            },
          })),
        }),
      );
      const failed = (out.Failed ?? []).map((f) => ({
        id: f.Id ?? '',
        error: `${f.Code ?? 'Failed'}: ${f.Message ?? ''}`,
      }));
      const failedIds = new Set(failed.map((f) => f.id));
      return { published: events.map((e) => e.id).filter((id) => !failedIds.has(id)), failed };
    } catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      return { published: [], failed: events.map((e) => ({ id: e.id, error: message })) };
    }
  }

  /** Readiness: the topic can be reached. */
  async check(): Promise<void> {
    await this.sns.send(new GetTopicAttributesCommand({ TopicArn: await this.resolveTopicArn() }));
  }
}
