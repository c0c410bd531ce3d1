import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import {
  authenticate,
  createBaseApp,
  notFound,
  operationsRoutes,
  problemHandler,
  serveRoutes,
} from '@marketplace/common';
import type { Express } from 'express';
import { dashboardRoutes } from './http/dashboard-routes';
import { queueDashboardRoutes } from './http/queue-dashboard';
import { revenueRoutes } from './http/revenue-routes';
import type { Services } from './services';

/**
 * The Express app, without listening: main.ts listens, tests use supertest. A worker-only
 * process (RUN_MODE=worker) serves just health, readiness and its own metrics.
 */
export function createApp(
  services: Services,
  options: {
    serveApi?: boolean;
    /** This process runs the drain worker: readiness then also fails when draining stalled. */
    drains?: boolean;
  } = {},
): Express {
  const { config, metrics } = services;
  const app = createBaseApp({
    logger: services.logger,
    httpRequestDuration: metrics.httpRequestDuration,
    trustProxy: config.trustProxy,
    corsOrigins: config.corsOrigins,
  });

  const tables = [
    operationsRoutes({
      checks: {
        postgres: async () => {
          await services.sequelize.query('SELECT 1');
        },
        redis: async () => {
          await services.redis.ping();
        },
        sqs: async () => {
          await services.sqs.send(
            new GetQueueAttributesCommand({
              QueueUrl: await services.queues.url(),
              AttributeNames: ['QueueArn'],
            }),
          );
        },
        ...(options.drains ? { drain: () => services.heartbeat.assertFresh() } : {}),
      },
      registry: metrics.registry,
    }),
  ];
  if (options.serveApi ?? true) {
    tables.push(
      queueDashboardRoutes([services.scheduler.queue], config.jwt),
      revenueRoutes(services.ledger, services.feed),
      dashboardRoutes({ ecommercePublicUrl: config.ecommercePublicUrl }),
    );
  }
  app.use(
    serveRoutes({
      title: 'payment_gateway',
      description:
        'Seller revenue booked exactly once from purchase events. Money is in minor units.',
      bearerDescription:
        'RS256 token from ecommerce POST /login, verified here with the public key.',
      authenticate: authenticate(config.jwt),
      // The document describes what this process serves.
      tables,
    }),
  );
  app.use(notFound);
  app.use(problemHandler);
  return app;
}
