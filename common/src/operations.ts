import { Router } from 'express';
import type { RequestHandler } from 'express';
import swaggerUi from 'swagger-ui-express';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { generateOpenApiDocument } from './openapi';
import { mountRoutes, reply, route } from './routes';
import type { RouteTable } from './routes';

export type ReadinessCheck = () => Promise<void>;

const CHECK_TIMEOUT_MS = 2000;

function withTimeout(check: ReadinessCheck): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out')), CHECK_TIMEOUT_MS);
    check()
      .then(resolve, reject)
      .finally(() => clearTimeout(timer));
  });
}

const readinessSchema = z.object({
  status: z.enum(['ready', 'unavailable']),
  checks: z.record(z.string(), z.enum(['ok', 'failing'])),
});

/**
 * The endpoints every service has: liveness, readiness (each named check must pass within
 * 2 s, else 503) and Prometheus metrics.
 */
export function operationsRoutes(options: {
  checks: Record<string, ReadinessCheck>;
  registry: Registry;
}): RouteTable {
  const { checks, registry } = options;
  const names = Object.keys(checks);
  return {
    tags: ['operations'],
    routes: [
      route({
        method: 'get',
        path: '/health',
        summary: 'Liveness',
        responses: { 200: { description: 'Alive', schema: z.object({ status: z.string() }) } },
        handler: () => reply(200, { status: 'ok' }),
      }),
      route({
        method: 'get',
        path: '/ready',
        summary: `Readiness: every check (${names.join(', ')}) passes within ${CHECK_TIMEOUT_MS / 1000} s`,
        responses: {
          200: { description: 'Ready', schema: readinessSchema },
          503: { description: 'A dependency is failing', schema: readinessSchema },
        },
        handler: async ({ req }) => {
          const outcomes = await Promise.allSettled(
            names.map((name) => withTimeout(checks[name]!)),
          );
          const results: Record<string, 'ok' | 'failing'> = {};
          outcomes.forEach((outcome, i) => {
            results[names[i]!] = outcome.status === 'fulfilled' ? 'ok' : 'failing';
            if (outcome.status === 'rejected') {
              req.log.warn(
                { check: names[i], err: outcome.reason as unknown },
                'readiness check failing',
              );
            }
          });
          const ready = outcomes.every((o) => o.status === 'fulfilled');
          return ready
            ? reply(200, { status: 'ready', checks: results })
            : reply(503, { status: 'unavailable', checks: results });
        },
      }),
      route({
        method: 'get',
        path: '/metrics',
        summary: 'Prometheus metrics',
        responses: {
          200: {
            description: 'Prometheus text format',
            schema: z.string(),
            contentType: registry.contentType,
          },
        },
        handler: async () => reply(200, await registry.metrics()),
      }),
    ],
  };
}

/**
 * A service's routes and their contract: the tables mounted in order, and the OpenAPI document
 * made from the same tables at /openapi.json, with Swagger UI at /docs.
 */
export function serveRoutes(options: {
  title: string;
  description: string;
  bearerDescription: string;
  tables: RouteTable[];
  /** How routes with `auth` check the caller's token. */
  authenticate: RequestHandler;
}): Router {
  const { tables, authenticate, ...info } = options;
  const document = generateOpenApiDocument({ ...info, tables });
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  router.use('/docs', swaggerUi.serve);
  router.get('/docs', swaggerUi.setup(document));
  router.use(mountRoutes(tables, authenticate));
  return router;
}
