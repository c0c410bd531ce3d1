import {
  CreateTopicCommand,
  GetTopicAttributesCommand,
  PublishBatchCommand,
} from '@aws-sdk/client-sns';
import type { SNSClient } from '@aws-sdk/client-sns';
import { SpanKind } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import {
  TOPIC_NAME,
  carrierOf,
  contextFromCarrier,
  recordFailure,
  tracer,
} from '@marketplace/common';
import type { PurchaseEvent, TraceCarrier } from '@marketplace/common';

export interface PublishResult {
  published: string[];
  failed: { id: string; error: string }[];
  /** Each event's publish span, for the lines logged about it. */
  spans?: Map<string, Span>;
}

/** SNS accepts at most 10 entries per PublishBatch. */
export const MAX_BATCH = 10;

const tracing = tracer('ecommerce');

export interface OutgoingEvent {
  id: string;
  payload: PurchaseEvent;
  /** The trace the event was written in: its publish span joins it. */
  trace_context?: TraceCarrier | null;
}

/**
 * One PRODUCER span per event, in the trace of the sale that wrote it (a batch carries events
 * of many sales, so the batch itself cannot be one span of each). Its context travels as
 * message attributes (`traceparent`, `tracestate`): raw delivery keeps them on the SQS message.
 */
function publishSpan(event: OutgoingEvent, topicArn: string): Span {
  return tracing.startSpan(
    `publish ${TOPIC_NAME}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': 'aws_sns',
        'messaging.operation.type': 'send',
        'messaging.destination.name': topicArn,
        'messaging.message.id': event.id,
        'purchase.id': event.payload.purchase_id,
        'purchase.event_type': event.payload.event_type,
      },
    },
    contextFromCarrier(event.trace_context),
  );
}

function traceAttributes(span: Span) {
  const carrier = carrierOf(span) ?? {};
  return Object.fromEntries(
    Object.entries(carrier).map(([name, value]) => [
      name,
      { DataType: 'String', StringValue: value },
    ]),
  );
}

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
  async publish(events: OutgoingEvent[]): Promise<PublishResult> {
    let spans: Span[] = [];
    let result: PublishResult;
    try {
      const topicArn = await this.resolveTopicArn();
      spans = events.map((event) => publishSpan(event, topicArn));
      const out = await this.sns.send(
        new PublishBatchCommand({
          TopicArn: topicArn,
          PublishBatchRequestEntries: events.map((event, i) => ({
            Id: event.id,
            Message: JSON.stringify(event.payload),
            MessageAttributes: {
              event_type: { DataType: 'String', StringValue: event.payload.event_type },
              ...traceAttributes(spans[i]!),
            },
          })),
        }),
      );
      const failed = (out.Failed ?? []).map((f) => ({
        id: f.Id ?? '',
        error: `${f.Code ?? 'Failed'}: ${f.Message ?? ''}`,
      }));
      const failedIds = new Set(failed.map((f) => f.id));
      result = { published: events.map((e) => e.id).filter((id) => !failedIds.has(id)), failed };
    } catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      result = { published: [], failed: events.map((e) => ({ id: e.id, error: message })) };
    }
    const errors = new Map(result.failed.map((f) => [f.id, f.error]));
    spans.forEach((span, i) => {
      const error = errors.get(events[i]!.id);
      if (error !== undefined) recordFailure(span, new Error(error));
      span.end();
    });
    result.spans = new Map(spans.map((span, i) => [events[i]!.id, span]));
    return result;
  }

  /** Readiness: the topic can be reached. */
  async check(): Promise<void> {
    await this.sns.send(new GetTopicAttributesCommand({ TopicArn: await this.resolveTopicArn() }));
  }
}
