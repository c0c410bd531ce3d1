import { createPublicKey, generateKeyPairSync } from 'node:crypto';
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

/** Where development and test key pairs live: git-ignored, at the repository root. */
export const DEV_KEYS_DIR = path.resolve(__dirname, '..', '..', '.keys');

/** A PEM given inline (as in most secret stores) or a path to a file holding one. */
export function readPem(valueOrPath: string): string {
  const inline = valueOrPath.replace(/\\n/g, '\n');
  if (inline.includes('-----BEGIN')) return inline;
  return readFileSync(valueOrPath, 'utf8');
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
