import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { AppError, bearerToken, subtreeRoute, tokenVerifier } from '@marketplace/common';
import type { RouteTable, TokenVerification } from '@marketplace/common';
import type { Queue } from 'bullmq';
import type { RequestHandler } from 'express';
import { z } from 'zod';

export const DASHBOARD_PATH = '/admin/queues';
const COOKIE = 'queues_token';

function cookieToken(header: string | undefined): string | undefined {
  const match = header ? new RegExp(`(?:^|;\\s*)${COOKIE}=([^;]+)`).exec(header) : null;
  return match?.[1];
}

/**
 * Admins only. A browser cannot add an Authorization header to the dashboard's own asset
 * and API requests, so `?token=<jwt>` is accepted once and kept in an HttpOnly cookie
 * scoped to the dashboard.
 */
function adminOnly(verification: TokenVerification): RequestHandler {
  const verify = tokenVerifier(verification);
  return (req, res, next) => {
    const fromQuery = typeof req.query.token === 'string' ? req.query.token : undefined;
    const token =
      bearerToken(req.headers.authorization) ?? fromQuery ?? cookieToken(req.headers.cookie);
    if (!token)
      throw new AppError(
        'token_required',
        'An admin token is required (Authorization header or ?token=).',
      );
    const principal = verify(token);
    if (principal.role !== 'admin')
      throw new AppError('forbidden', 'The queue dashboard is for admins.');
    res.locals.principal = principal;
    if (fromQuery) {
      res.cookie(COOKIE, fromQuery, {
        httpOnly: true,
        sameSite: 'strict',
        path: DASHBOARD_PATH,
        secure: req.secure,
      });
    }
    next();
  };
}

/** bull-board: the drain schedule and its recent jobs. */
export function queueDashboardRoutes(queues: Queue[], verification: TokenVerification): RouteTable {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: true })),
    serverAdapter,
  });
  return {
    tags: ['operations'],
    authenticate: adminOnly(verification),
    routes: [
      subtreeRoute(
        {
          method: 'get',
          path: DASHBOARD_PATH,
          summary: 'BullMQ dashboard (admin): the drain schedule and recent jobs',
          description:
            'Browsers may pass the token once as ?token=<jwt>; it is kept in an HttpOnly cookie.',
          auth: { roles: ['admin'] },
          responses: {
            200: { description: 'bull-board UI', schema: z.string(), contentType: 'text/html' },
          },
        },
        serverAdapter.getRouter() as RequestHandler,
      ),
    ],
  };
}
