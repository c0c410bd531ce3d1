import {
  authenticate,
  notFound,
  operationsRoutes,
  problemHandler,
  requestLogging,
  requestMetrics,
} from '@marketplace/common';
import express from 'express';
import type { Express } from 'express';
import { accountRoutes } from './http/account-routes';
import { catalogueRoutes } from './http/catalogue-routes';
import { buildOpenApiDocument } from './http/openapi';
import { purchaseRoutes } from './http/purchase-routes';
import type { Services } from './services';

/** The Express app, without listening: main.ts listens, tests use supertest. */
export function createApp(services: Services): Express {
  const { metrics, config } = services;
  const app = express();
  app.disable('x-powered-by');
  app.use(requestLogging(services.logger));
  app.use(requestMetrics(metrics.httpRequestDuration));
  app.use(express.json({ limit: '100kb' }));
  app.use(express.urlencoded({ extended: false, limit: '100kb' }));

  const authenticated = authenticate(config.jwt.publicKey);
  app.use(
    operationsRoutes({
      checks: {
        postgres: async () => {
          await services.sequelize.query('SELECT 1');
        },
        sns: () => services.publisher.check(),
      },
      registry: metrics.registry,
      document: buildOpenApiDocument(),
    }),
  );
  app.use(accountRoutes(services.accounts, authenticated));
  app.use(catalogueRoutes(services.catalogue, authenticated, config.currency));
  app.use(purchaseRoutes(services.purchases, authenticated, metrics));
  app.use(notFound);
  app.use(problemHandler);
  return app;
}
