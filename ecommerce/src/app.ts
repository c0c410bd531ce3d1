import {
  authenticate,
  createBaseApp,
  notFound,
  operationsRoutes,
  problemHandler,
} from '@marketplace/common';
import type { Express } from 'express';
import { accountRoutes } from './http/account-routes';
import { catalogueRoutes } from './http/catalogue-routes';
import { buildOpenApiDocument } from './http/openapi';
import { purchaseRoutes } from './http/purchase-routes';
import type { Services } from './services';

/** The Express app, without listening: main.ts listens, tests use supertest. */
export function createApp(services: Services): Express {
  const { metrics, config } = services;
  // Forms too: /login takes form-urlencoded, as the original system did.
  const app = createBaseApp({
    logger: services.logger,
    httpRequestDuration: metrics.httpRequestDuration,
    forms: true,
    trustProxy: config.trustProxy,
    corsOrigins: config.corsOrigins,
  });

  const authenticated = authenticate(config.jwt);
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
