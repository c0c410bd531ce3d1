import { AppError } from '@marketplace/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Principal, TokenService } from '../domain/tokens';

/** `Authorization: Bearer <jwt>`; the original system's `JWT <jwt>` is accepted too. */
export function authenticate(tokens: TokenService): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const header = req.headers.authorization;
    const match = header ? /^(?:Bearer|JWT)\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) {
      throw new AppError('unauthorized', 'An Authorization: Bearer token is required.');
    }
    res.locals.principal = tokens.verify(match[1]!);
    next();
  };
}

export function requireRole(...roles: Principal['role'][]): RequestHandler {
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
