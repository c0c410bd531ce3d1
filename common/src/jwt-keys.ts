import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { ConfigError } from './config';

/** Where development and test key pairs live: git-ignored, at the repository root. */
export const DEV_KEYS_DIR = path.resolve(__dirname, '..', '..', '.keys');

/** A PEM given inline (as in most secret stores) or a path to a file holding one. */
export function readPem(valueOrPath: string): string {
  const inline = valueOrPath.replace(/\\n/g, '\n');
  if (inline.includes('-----BEGIN')) return inline;
  return readFileSync(valueOrPath, 'utf8');
}

/** `readPem` for the variable `name`: neither a PEM nor a readable file is a ConfigError. */
export function readPemSetting(name: string, valueOrPath: string): string {
  try {
    return readPem(valueOrPath);
  } catch {
    throw new ConfigError([`${name}: is neither a PEM nor a readable file path`]);
  }
}

/**
 * Returns the development RS256 key pair, generating it on first use. Several processes may
 * race here (test workers): the pair is written to a temporary folder and renamed into place,
 * so every reader sees both files or none.
 */
export function devKeyPair(dir: string = DEV_KEYS_DIR): { privateKey: string; publicKey: string } {
  const privatePath = path.join(dir, 'jwt-private.pem');
  const publicPath = path.join(dir, 'jwt-public.pem');
  if (!existsSync(privatePath)) {
    mkdirSync(path.dirname(dir), { recursive: true });
    const tmp = mkdtempSync(`${dir}.tmp-`);
    const { privateKey, publicKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    writeFileSync(path.join(tmp, 'jwt-private.pem'), privateKey, { mode: 0o600 });
    writeFileSync(path.join(tmp, 'jwt-public.pem'), publicKey);
    try {
      renameSync(tmp, dir);
    } catch {
      rmSync(tmp, { recursive: true, force: true }); // another process won the race
    }
  }
  return {
    privateKey: readFileSync(privatePath, 'utf8'),
    publicKey: readFileSync(publicPath, 'utf8'),
  };
}

export function publicKeyFromPrivate(privateKeyPem: string): string {
  return createPublicKey(privateKeyPem).export({ type: 'spki', format: 'pem' }).toString();
}

function rsaKey(name: string, load: () => KeyObject): KeyObject {
  let key: KeyObject;
  try {
    key = load();
  } catch {
    throw new ConfigError([`${name}: is not a valid PEM key`]);
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new ConfigError([`${name}: must be an RSA key (tokens are RS256)`]);
  }
  return key;
}

/** The public key parsed at start-up: a malformed PEM is a ConfigError, not a 401 per request. */
export function checkPublicKey(publicKeyPem: string, name = 'JWT_PUBLIC_KEY'): void {
  rsaKey(name, () => createPublicKey(publicKeyPem));
}

/**
 * The private key parses, and the public key (when given too) belongs to it: a public key from
 * another pair would make every token ecommerce issues fail in payment_gateway, so the service
 * refuses to start instead.
 */
export function checkKeyPair(privateKeyPem: string, publicKeyPem?: string): void {
  const privateKey = rsaKey('JWT_PRIVATE_KEY', () => createPrivateKey(privateKeyPem));
  if (publicKeyPem === undefined) return;
  const publicKey = rsaKey('JWT_PUBLIC_KEY', () => createPublicKey(publicKeyPem));
  const derived = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  if (!derived.equals(publicKey.export({ type: 'spki', format: 'der' }))) {
    throw new ConfigError(['JWT_PUBLIC_KEY: does not match JWT_PRIVATE_KEY']);
  }
}
