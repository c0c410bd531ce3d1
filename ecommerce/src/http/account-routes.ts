import { AppError, reply, route } from '@marketplace/common';
import type { RouteTable } from '@marketplace/common';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { z } from 'zod';
import type { AccountUseCases, RegisteredUser } from '../domain/account-use-cases';
import type { IssuedToken } from '../domain/tokens';
import { loginBody, registerBody, registerResponse, tokenResponse } from './account-schemas';

/** Failed logins allowed per client IP and username in each window. */
export const LOGIN_ATTEMPTS = 10;
const LOGIN_WINDOW_MS = 15 * 60 * 1000;

const PASSWORD_CHECKS_BUSY =
  'The database cannot be reached, or too many password checks are queued';

const tokenJson = (issued: IssuedToken): z.infer<typeof tokenResponse> => ({
  token: issued.token,
  token_type: 'Bearer',
  expires_in: issued.expiresInSeconds,
});

const registeredJson = (user: RegisteredUser): z.infer<typeof registerResponse> => ({
  user_id: user.id,
  username: user.username,
});

export function accountRoutes(accounts: AccountUseCases): RouteTable {
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

  return {
    tags: ['accounts'],
    failures: { 503: 'The database cannot be reached' },
    routes: [
      route({
        method: 'post',
        path: '/login',
        summary: 'Log in and get a JWT',
        middleware: [loginLimiter],
        request: {
          body: loginBody,
          bodyTypes: ['application/json', 'application/x-www-form-urlencoded'],
        },
        responses: { 200: { description: 'A token', schema: tokenResponse } },
        failures: {
          401: 'Bad credentials',
          429: 'Too many failed attempts for this IP and username',
          503: PASSWORD_CHECKS_BUSY,
        },
        handler: async ({ body }) =>
          reply(200, tokenJson(await accounts.login(body.username, body.password))),
      }),
      route({
        method: 'post',
        path: '/refresh-token',
        summary: 'Exchange a still-valid token for a fresh one',
        auth: 'token',
        responses: { 200: { description: 'A fresh token', schema: tokenResponse } },
        handler: async ({ principal }) => reply(200, tokenJson(await accounts.refresh(principal))),
      }),
      route({
        method: 'post',
        path: '/user',
        summary: 'Register a customer',
        request: { body: registerBody },
        responses: { 201: { description: 'Registered', schema: registerResponse } },
        failures: { 409: 'Username or email taken', 503: PASSWORD_CHECKS_BUSY },
        handler: async ({ body }) => reply(201, registeredJson(await accounts.register(body))),
      }),
    ],
  };
}
