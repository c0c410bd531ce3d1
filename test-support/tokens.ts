import { createHmac, generateKeyPairSync } from 'node:crypto';
import { DEFAULT_TOKEN_AUDIENCE, DEFAULT_TOKEN_ISSUER } from '@marketplace/common';
import type { Role } from '@marketplace/common';
import jwt from 'jsonwebtoken';

export interface TokenClaims {
  sub: string;
  username: string;
  role: Role;
  seller_id?: string;
}

/** A token as ecommerce issues it (RS256, issuer, audience, 10 minutes), or with overrides. */
export function signToken(
  privateKey: string,
  claims: TokenClaims,
  options: jwt.SignOptions = {},
): string {
  const { sub, ...rest } = claims;
  return jwt.sign(rest, privateKey, {
    algorithm: 'RS256',
    expiresIn: 600,
    issuer: DEFAULT_TOKEN_ISSUER,
    audience: DEFAULT_TOKEN_AUDIENCE,
    subject: sub,
    ...options,
  });
}

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Tokens every verifier must refuse with 401, each carrying the given claims (make them
 * powerful, e.g. an admin, so that a token wrongly accepted shows as a 2xx).
 */
export function badTokens(
  keys: { privateKey: string; publicKey: string },
  claims: TokenClaims,
): [string, string][] {
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    ...claims,
    iss: DEFAULT_TOKEN_ISSUER,
    aud: DEFAULT_TOKEN_AUDIENCE,
    iat: now,
    exp: now + 600,
  };
  const hs256Header = base64url({ alg: 'HS256', typ: 'JWT' });
  const hs256Signature = createHmac('sha256', keys.publicKey)
    .update(`${hs256Header}.${base64url(payload)}`)
    .digest('base64url');
  const [header, , signature] = signToken(keys.privateKey, {
    ...claims,
    role: 'customer',
  }).split('.');
  const otherKey = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  }).privateKey;
  const { sub, ...rest } = claims;
  return [
    ['alg none, unsigned', `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(payload)}.`],
    ['HS256 keyed with the public key', `${hs256Header}.${base64url(payload)}.${hs256Signature}`],
    ['a payload tampered after signing', `${header}.${base64url(payload)}.${signature}`],
    ['signed with another key', signToken(otherKey, claims)],
    ['expired', jwt.sign({ ...payload, exp: now - 10 }, keys.privateKey, { algorithm: 'RS256' })],
    ['not valid yet (nbf)', signToken(keys.privateKey, claims, { notBefore: 600 })],
    ['from another issuer', signToken(keys.privateKey, claims, { issuer: 'someone-else' })],
    ['for another audience', signToken(keys.privateKey, claims, { audience: 'another-api' })],
    [
      'without issuer and audience',
      jwt.sign(rest, keys.privateKey, { algorithm: 'RS256', expiresIn: 600, subject: sub }),
    ],
    [
      'without exp',
      jwt.sign(
        { ...rest, iss: DEFAULT_TOKEN_ISSUER, aud: DEFAULT_TOKEN_AUDIENCE },
        keys.privateKey,
        {
          algorithm: 'RS256',
          subject: sub,
        },
      ),
    ],
    ['not a JWT at all', 'not-a-jwt'],
  ];
}
