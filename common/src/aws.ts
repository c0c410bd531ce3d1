import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';

export interface AwsSettings {
  AWS_REGION: string;
  /** Set for the local emulator; unset for real AWS. */
  AWS_ENDPOINT_URL?: string | undefined;
}

/** What the local emulator is given (it ignores credentials); production refuses them. */
export const EMULATOR_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/**
 * The SDK clients' settings, for the process environment `env` (the one the service's config
 * was loaded from).
 */
export function awsClientConfig(
  settings: AwsSettings,
  env: { NODE_ENV?: string | undefined; AWS_ACCESS_KEY_ID?: string | undefined } = process.env,
) {
  const emulated = settings.AWS_ENDPOINT_URL !== undefined;
  return {
    region: settings.AWS_REGION,
    ...(emulated
      ? {
          endpoint: settings.AWS_ENDPOINT_URL,
          // The emulator ignores credentials; real AWS uses the default provider chain, and so
          // does production whatever the endpoint: placeholders there would only hide a gap.
          ...(env.AWS_ACCESS_KEY_ID || env.NODE_ENV === 'production'
            ? {}
            : { credentials: { ...EMULATOR_CREDENTIALS } }),
        }
      : {}),
    // Fail fast so callers (the relay, readiness checks) decide how to retry.
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 2_000, requestTimeout: 10_000 },
  };
}

export function createSnsClient(settings: AwsSettings): SNSClient {
  return new SNSClient(awsClientConfig(settings));
}

export function createSqsClient(settings: AwsSettings): SQSClient {
  return new SQSClient(awsClientConfig(settings));
}

/** A field an AWS answer always carries: its absence is a broken endpoint, so it throws. */
export function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the AWS API returned no ${what}`);
  return value;
}
