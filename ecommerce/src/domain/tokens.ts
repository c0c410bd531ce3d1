import jwt from 'jsonwebtoken';
import { z } from 'zod';
import { AppError } from '@marketplace/common';

export const roleSchema = z.enum(['customer', 'seller', 'admin']);

/** The claims every token carries; payment_gateway verifies the same shape with the public key. */
const claimsSchema = z.object({
  sub: z.uuid(),
  username: z.string(),
  role: roleSchema,
  seller_id: z.uuid().nullish(),
  exp: z.number(),
});

export type Claims = z.infer<typeof claimsSchema>;

export interface Principal {
  userId: string;
  username: string;
  role: z.infer<typeof roleSchema>;
  sellerId: string | null;
}

export interface IssuedToken {
  token: string;
  token_type: 'Bearer';
  expires_in: number;
}

export class TokenService {
  constructor(
    private readonly keys: { privateKey: string; publicKey: string; ttlSeconds: number },
  ) {}

  issue(principal: Principal): IssuedToken {
    const token = jwt.sign(
      {
        username: principal.username,
        role: principal.role,
        ...(principal.sellerId ? { seller_id: principal.sellerId } : {}),
      },
      this.keys.privateKey,
      { algorithm: 'RS256', expiresIn: this.keys.ttlSeconds, subject: principal.userId },
    );
    return { token, token_type: 'Bearer', expires_in: this.keys.ttlSeconds };
  }

  /** RS256 only, `exp` required; any failure is a 401. */
  verify(token: string): Principal {
    let decoded: unknown;
    try {
      decoded = jwt.verify(token, this.keys.publicKey, { algorithms: ['RS256'] });
    } catch (error) {
      const expired = error instanceof jwt.TokenExpiredError;
      throw new AppError(
        'unauthorized',
        expired ? 'The token has expired.' : 'The token is invalid.',
      );
    }
    const claims = claimsSchema.safeParse(decoded);
    if (!claims.success)
      throw new AppError('unauthorized', 'The token is missing required claims.');
    return {
      userId: claims.data.sub,
      username: claims.data.username,
      role: claims.data.role,
      sellerId: claims.data.seller_id ?? null,
    };
  }
}
