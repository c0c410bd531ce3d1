import { Router } from 'express';
import swaggerUi from 'swagger-ui-express';
import type { Registry } from 'prom-client';

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

/**
 * The endpoints every service has: liveness, readiness (each named check must pass within
 * 2 s, else 503), Prometheus metrics, the OpenAPI document and Swagger UI.
 */
export function operationsRoutes(options: {
  checks: Record<string, ReadinessCheck>;
  registry: Registry;
  document: object;
}): Router {
  const { checks, registry, document } = options;
  const router = Router();

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/ready', async (req, res) => {
    const names = Object.keys(checks);
    const outcomes = await Promise.allSettled(names.map((name) => withTimeout(checks[name]!)));
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
    res
      .status(ready ? 200 : 503)
      .json({ status: ready ? 'ready' : 'unavailable', checks: results });
  });

  router.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });

  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  router.use('/docs', swaggerUi.serve);
  router.get('/docs', swaggerUi.setup(document));

  return router;
}
