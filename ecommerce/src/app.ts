import { randomUUID } from 'node:crypto';
import express from 'express';
import type { Express } from 'express';
import { pinoHttp } from 'pino-http';
import { accountRoutes } from './http/account-routes';
import { authenticate } from './http/auth';
import { catalogueRoutes } from './http/catalogue-routes';
import { notFound, problemHandler } from './http/errors';
import { operationsRoutes } from './http/operations-routes';
import { purchaseRoutes } from './http/purchase-routes';
import type { Services } from './services';

const QUIET_PATHS = new Set(['/health', '/ready', '/metrics']);

/** The Express app, without listening: main.ts listens, tests use supertest. */
export function createApp(services: Services): Express {
  const { metrics, config } = services;
  const app = express();
  app.disable('x-powered-by');

  app.use(
    pinoHttp({
      logger: services.logger,
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id =
          typeof given === 'string' && /^[\w.-]{1,100}$/.test(given) ? given : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      autoLogging: { ignore: (req) => QUIET_PATHS.has(req.url ?? '') },
      customLogLevel: (_req, res, error) =>
        error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          url: req.url,
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  app.use((req, res, next) => {
    const end = metrics.httpRequestDuration.startTimer();
    res.on('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      end({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  });
  app.use(express.json({ limit: '100kb' }));
  app.use(express.urlencoded({ extended: false, limit: '100kb' }));

  const authenticated = authenticate(services.tokens);
  app.use(
    operationsRoutes(
      {
        postgres: async () => {
          await services.sequelize.query('SELECT 1');
        },
        sns: () => services.publisher.check(),
      },
      metrics,
    ),
  );
  app.use(accountRoutes(services.accounts, authenticated));
  app.use(catalogueRoutes(services.catalogue, authenticated, config.currency));
  app.use(purchaseRoutes(services.purchases, authenticated, metrics));
  app.use(notFound);
  app.use(problemHandler);
  return app;
}
