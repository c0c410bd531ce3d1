import { Router } from 'express';
import swaggerUi from 'swagger-ui-express';
import type { Metrics } from '../metrics';
import { buildOpenApiDocument } from './openapi';

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

export function operationsRoutes(checks: Record<string, ReadinessCheck>, metrics: Metrics): Router {
  const router = Router();
  const document = buildOpenApiDocument();

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
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  router.use('/docs', swaggerUi.serve);
  router.get('/docs', swaggerUi.setup(document));

  return router;
}
