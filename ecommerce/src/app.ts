import {
  authenticate,
  createBaseApp,
  notFound,
  operationsRoutes,
  problemHandler,
  serveRoutes,
} from '@marketplace/common';
import type { Express } from 'express';
import { accountRoutes } from './http/account-routes';
import { catalogueRoutes } from './http/catalogue-routes';
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

  app.use(
    serveRoutes({
      title: 'ecommerce',
      description:
        'Accounts, catalogue and purchases. Money is an integer in minor units; errors are application/problem+json.',
      bearerDescription: 'RS256 token from POST /login. The scheme `JWT <token>` is accepted too.',
      authenticate: authenticate(config.jwt),
      tables: [
        operationsRoutes({
          checks: {
            postgres: async () => {
              await services.sequelize.query('SELECT 1');
            },
            sns: () => services.publisher.check(),
          },
          registry: metrics.registry,
        }),
        accountRoutes(services.accounts),
        catalogueRoutes(services.catalogue, config.currency),
        purchaseRoutes(services.purchases, metrics),
      ],
    }),
  );
  app.use(notFound);
  app.use(problemHandler);
  return app;
}
