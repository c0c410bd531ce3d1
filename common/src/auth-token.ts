import { createPublicKey, type KeyObject } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import jwt from 'jsonwebtoken';
import { z } from 'zod';
import { AppError } from './app-error';

/**
 * The token both services agree on: RS256, `exp` required, `iss` and `aud` checked, signed by
 * ecommerce with the private key and verified anywhere with the public key alone.
 */
export const roleSchema = z.enum(['customer', 'seller', 'admin']);
export type Role = z.infer<typeof roleSchema>;

const claimsSchema = z.object({
  sub: z.uuid().toLowerCase(),
  username: z.string(),
  role: roleSchema,
  seller_id: z.uuid().toLowerCase().nullish(),
  exp: z.number(),
});

export interface Principal {
  userId: string;
  username: string;
  role: Role;
  sellerId: string | null;
  /** When the token stops being valid (a stream it opened ends then). */
  expiresAt: Date;
}

/** What a service needs to check a token: the public key, and who must have issued it for whom. */
export interface TokenVerification {
  publicKey: string | KeyObject;
  issuer: string;
  audience: string;
}

/**
 * RS256 only (so never `none` or an HMAC keyed with the public key), a valid signature, `exp`
 * required and not past, `nbf` (if any) reached, our issuer and audience, claims of the right
 * shape; any failure is a 401.
 */
export function verifyToken(verification: TokenVerification, token: string): Principal {
  let decoded: unknown;
  try {
    decoded = jwt.verify(token, verification.publicKey, {
      algorithms: ['RS256'],
      issuer: verification.issuer,
      audience: verification.audience,
    });
  } catch (error) {
    if (error instanceof jwt.TokenExpiredError) {
      throw new AppError('token_expired', 'The token has expired.');
    }
    throw new AppError('invalid_token', 'The token is invalid.');
  }
  const claims = claimsSchema.safeParse(decoded);
  if (!claims.success) throw new AppError('invalid_token', 'The token is missing required claims.');
  return {
    userId: claims.data.sub,
    username: claims.data.username,
    role: claims.data.role,
    sellerId: claims.data.seller_id ?? null,
    expiresAt: new Date(claims.data.exp * 1000),
  };
}

/**
 * A verifier for one configuration, with the public key parsed once: parsing the PEM on every
 * verify was about a tenth of a purchase's CPU under load.
 */
export function tokenVerifier(verification: TokenVerification): (token: string) => Principal {
  const parsed = { ...verification, publicKey: createPublicKey(verification.publicKey) };
  return (token) => verifyToken(parsed, token);
}

/** The token from `Authorization: Bearer <jwt>` (or the original system's `JWT <jwt>`). */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header ? /^(?:Bearer|JWT)\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

/** Requires a valid token; the principal is then on `res.locals`. */
export function authenticate(verification: TokenVerification): RequestHandler {
  const verify = tokenVerifier(verification);
  return (req, res, next) => {
    const token = bearerToken(req.headers.authorization);
    if (!token) throw new AppError('token_required', 'An Authorization: Bearer token is required.');
    res.locals.principal = verify(token);
    next();
  };
}

export function requireRole(...roles: Role[]): RequestHandler {
  return (_req, res, next) => {
    if (!roles.includes(principalOf(res).role)) {
      throw new AppError('forbidden', `This requires the role ${roles.join(' or ')}.`);
    }
    next();
  };
}

export function principalOf(res: Response): Principal {
  return res.locals.principal as Principal;
}
