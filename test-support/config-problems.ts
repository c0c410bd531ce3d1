import { generateKeyPairSync } from 'node:crypto';
import { awsClientConfig, ConfigError, EMULATOR_CREDENTIALS } from '@marketplace/common';
import type { AwsSettings } from '@marketplace/common';

/** The problems a service's loadConfig names for this environment (none when it loads). */
export function configProblems(
  loadConfig: (env: Record<string, string>) => unknown,
  env: Record<string, string>,
): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

/** A fresh RSA key pair as PEM text, made for the test (no key material lives in the repo). */
export const rsaPair = () =>
  generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });

/** The same PEM armour around a body that is no key: a malformed PEM. */
export const malformedPem = (pem: string) =>
  pem.replace(/(-----\n)[\s\S]*(\n-----END)/, `$1${Buffer.from('not a key').toString('base64')}$2`);

/**
 * The credentials a service's AWS client is given, configured from `env` as its main.ts does:
 * the emulator's placeholders in development only, never in production.
 */
export function describeAwsClientCredentials(
  client: 'SNS' | 'SQS',
  loadConfig: (env: Record<string, string>) => { aws: AwsSettings },
  production: (overrides?: Record<string, string>) => Record<string, string>,
): void {
  const clientFor = (env: Record<string, string>) => awsClientConfig(loadConfig(env).aws, env);

  describe(`AWS credentials of the ${client} client`, () => {
    const emulator = { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' };

    test('when development uses the emulator without credentials, then it gets the placeholders', () => {
      expect(clientFor(emulator)).toHaveProperty('credentials', EMULATOR_CREDENTIALS);
    });

    test.each([
      ['development, the emulator, credentials given', { ...emulator, AWS_ACCESS_KEY_ID: 'AKIAX' }],
      ['production, real AWS', production()],
      [
        'production, an emulator elsewhere (a staging one)',
        production({ AWS_ENDPOINT_URL: `http://${client.toLowerCase()}.staging.internal:4566` }),
      ],
    ])('when %s, then no placeholders: the SDK finds credentials itself', (_case, env) => {
      expect(clientFor(env)).not.toHaveProperty('credentials');
    });
  });
}
