import { generateKeyPairSync } from 'node:crypto';
import { ConfigError } from '@marketplace/common';

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
