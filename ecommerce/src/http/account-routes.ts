import { AppError, parseInput, principalOf } from '@marketplace/common';
import { Router } from 'express';
import type { RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { AccountUseCases } from '../domain/account-use-cases';
import { loginBody, registerBody } from './schemas';

/** Failed logins allowed per client IP and username in each window. */
export const LOGIN_ATTEMPTS = 10;
const LOGIN_WINDOW_MS = 15 * 60 * 1000;

export function accountRoutes(accounts: AccountUseCases, authenticated: RequestHandler): Router {
  const router = Router();

  // Guessing one account's password from one address is slowed down; successes do not count.
  const loginLimiter = rateLimit({
    windowMs: LOGIN_WINDOW_MS,
    limit: LOGIN_ATTEMPTS,
    skipSuccessfulRequests: true,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (req) => {
      const body = req.body as { username?: unknown } | undefined;
      const username = typeof body?.username === 'string' ? body.username.toLowerCase() : '';
      return `${ipKeyGenerator(req.ip ?? '')}:${username}`;
    },
    handler: (_req, _res, next) => {
      next(new AppError('rate_limited', 'Too many failed logins; try again later.'));
    },
  });

  router.post('/login', loginLimiter, async (req, res) => {
    const { username, password } = parseInput(loginBody, req.body, 'body');
    res.json(await accounts.login(username, password));
  });

  router.post('/refresh-token', authenticated, async (_req, res) => {
    res.json(await accounts.refresh(principalOf(res)));
  });

  router.post('/user', async (req, res) => {
    const input = parseInput(registerBody, req.body, 'body');
    res.status(201).json(await accounts.register(input));
  });

  return router;
}
