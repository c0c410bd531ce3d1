import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';

export interface AwsSettings {
  AWS_REGION: string;
  /** Set for the local emulator; unset for real AWS. */
  AWS_ENDPOINT_URL?: string | undefined;
}

function clientConfig(settings: AwsSettings) {
  const emulated = settings.AWS_ENDPOINT_URL !== undefined;
  return {
    region: settings.AWS_REGION,
    ...(emulated
      ? {
          endpoint: settings.AWS_ENDPOINT_URL,
          // The emulator ignores credentials; real AWS uses the default provider chain, and so
          // does production whatever the endpoint: placeholders there would only hide a gap.
          ...(process.env.AWS_ACCESS_KEY_ID || process.env.NODE_ENV === 'production'
            ? {}
            : { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
        }
      : {}),
    // Fail fast so callers (the relay, readiness checks) decide how to retry.
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 2_000, requestTimeout: 10_000 },
  };
}

export function createSnsClient(settings: AwsSettings): SNSClient {
  return new SNSClient(clientConfig(settings));
}

export function createSqsClient(settings: AwsSettings): SQSClient {
  return new SQSClient(clientConfig(settings));
}

/** A field an AWS answer always carries: its absence is a broken endpoint, so it throws. */
export function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the AWS API returned no ${what}`);
  return value;
}
