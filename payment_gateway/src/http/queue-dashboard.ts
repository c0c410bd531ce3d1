import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { AppError, bearerToken, tokenVerifier } from '@marketplace/common';
import type { TokenVerification } from '@marketplace/common';
import type { Queue } from 'bullmq';
import { Router } from 'express';
import type { RequestHandler } from 'express';

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
export function queueDashboard(queues: Queue[], verification: TokenVerification): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: true })),
    serverAdapter,
  });
  const router = Router();
  router.use(DASHBOARD_PATH, adminOnly(verification), serverAdapter.getRouter() as RequestHandler);
  return router;
}
