import { GetQueueAttributesCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { QUEUE_NAME, required } from '@marketplace/common';

/**
 * Finds the queue (configured URL, else by name) and its dead-letter queue (from the queue's
 * redrive policy). URLs come from the API, never built by hand; a failed lookup is retried
 * on the next call instead of being remembered.
 */
export class QueueLocator {
  private queueUrl: Promise<string> | undefined;
  private dlqUrl: Promise<string> | undefined;

  constructor(
    private readonly sqs: SQSClient,
    configuredUrl?: string,
    private readonly queueName: string = QUEUE_NAME,
  ) {
    if (configuredUrl) this.queueUrl = Promise.resolve(configuredUrl);
  }

  url(): Promise<string> {
    this.queueUrl ??= this.sqs
      .send(new GetQueueUrlCommand({ QueueName: this.queueName }))
      .then((out) => required(out.QueueUrl, `URL of queue ${this.queueName}`));
    return this.remembered('queueUrl');
  }

  deadLetterUrl(): Promise<string> {
    this.dlqUrl ??= this.url().then(async (QueueUrl) => {
      const out = await this.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['RedrivePolicy'] }),
      );
      const policy = JSON.parse(required(out.Attributes?.RedrivePolicy, 'redrive policy')) as {
        deadLetterTargetArn: string;
      };
      const name = policy.deadLetterTargetArn.split(':').pop()!;
      const dlq = await this.sqs.send(new GetQueueUrlCommand({ QueueName: name }));
      return required(dlq.QueueUrl, `URL of queue ${name}`);
    });
    return this.remembered('dlqUrl');
  }

  private remembered(key: 'queueUrl' | 'dlqUrl'): Promise<string> {
    const pending = this[key]!;
    pending.catch(() => {
      if (this[key] === pending) this[key] = undefined;
    });
    return pending;
  }
}
