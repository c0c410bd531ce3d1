import { createPrivateKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Principal } from '@marketplace/common';

export type { Principal };

export interface IssuedToken {
  token: string;
  expiresInSeconds: number;
}

/** Signs RS256 tokens with the claims payment_gateway verifies (see common/auth-token). */
export class TokenService {
  /** Parsed once, not on every login. */
  private readonly privateKey: KeyObject;

  constructor(
    private readonly keys: {
      privateKey: string;
      ttlSeconds: number;
      issuer: string;
      audience: string;
    },
  ) {
    this.privateKey = createPrivateKey(keys.privateKey);
  }

  issue(principal: Omit<Principal, 'expiresAt'>): IssuedToken {
    const token = jwt.sign(
      {
        username: principal.username,
        role: principal.role,
        ...(principal.sellerId ? { seller_id: principal.sellerId } : {}),
      },
      this.privateKey,
      {
        algorithm: 'RS256',
        expiresIn: this.keys.ttlSeconds,
        subject: principal.userId,
        issuer: this.keys.issuer,
        audience: this.keys.audience,
      },
    );
    return { token, expiresInSeconds: this.keys.ttlSeconds };
  }
}
