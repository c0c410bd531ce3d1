import { ConfigError } from '@marketplace/common';
import request from 'supertest';
import { randomUUID } from 'node:crypto';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { tokenFor } from './support/events';
import { ownMessaging, startTestGateway } from './support/test-app';
import type { TestGateway } from './support/test-app';
import { problem } from '../../test-support/problem';

let gw: TestGateway;
beforeAll(async () => {
  const messaging = await ownMessaging();
  gw = await startTestGateway({ queueUrl: messaging.queueUrl });
});
afterAll(() => gw.close());

describe('operations endpoints', () => {
  test('when asked for health and readiness, then each dependency is checked', async () => {
    expect((await request(gw.app).get('/health').expect(200)).body).toEqual({ status: 'ok' });
    const ready = await request(gw.app).get('/ready').expect(200);
    expect(ready.body).toEqual({
      status: 'ready',
      checks: { postgres: 'ok', redis: 'ok', sqs: 'ok' },
    });
  });

  test('when the queue does not exist, then not ready (503)', async () => {
    const broken = await startTestGateway({ queueUrl: 'http://127.0.0.1:1/000000000000/missing' });
    try {
      const res = await request(broken.app).get('/ready').expect(503);
      expect(res.body.checks).toEqual({ postgres: 'ok', redis: 'ok', sqs: 'failing' });
    } finally {
      await broken.close();
    }
  });

  test('when scraped, then /metrics has the ledger and queue series', async () => {
    const res = await request(gw.app).get('/metrics').expect(200);
    for (const name of [
      'ledger_messages_booked_total',
      'ledger_duplicates_skipped_total',
      'sqs_invalid_messages_total',
      'sqs_dlq_depth 0',
      'sqs_queue_depth 0',
      'sqs_oldest_message_age_seconds',
    ]) {
      expect(res.text).toContain(name);
    }
  });

  test('when the OpenAPI document is read, then it lists the revenue endpoints with schemas', async () => {
    const res = await request(gw.app).get('/openapi.json').expect(200);
    expect(Object.keys(res.body.paths).sort()).toEqual(
      [
        '/admin/queues',
        '/dashboard',
        '/health',
        '/metrics',
        '/ready',
        '/revenue/{seller_id}',
        '/revenue/{seller_id}/daily',
        '/revenue/{seller_id}/entries',
        '/revenue/{seller_id}/stream',
      ].sort(),
    );
    expect(Object.keys(res.body.components.schemas)).toEqual(
      expect.arrayContaining(['Revenue', 'LedgerEntry', 'DailyRevenue', 'Problem']),
    );
    await request(gw.app).get('/docs/').expect(200);
  });

  test('when a route does not exist, then 404 problem+json', async () => {
    await request(gw.app).get('/nope').expect(404).expect(problem('route_not_found'));
  });
});

describe('RUN_MODE=worker', () => {
  test('when the process only drains, then it serves health, readiness and metrics but no API', async () => {
    const worker = createApp(gw.services, { serveApi: false });
    await request(worker).get('/ready').expect(200);
    expect((await request(worker).get('/metrics').expect(200)).text).toContain('drain_runs_total');
    await request(worker)
      .get(`/revenue/${randomUUID()}`)
      .set(tokenFor({ role: 'admin' }))
      .expect(404);
    await request(worker)
      .get('/admin/queues')
      .set(tokenFor({ role: 'admin' }))
      .expect(404);
  });
});

describe('/admin/queues', () => {
  test('when not an admin, then 401 or 403', async () => {
    await request(gw.app).get('/admin/queues').expect(401).expect(problem('token_required'));
    await request(gw.app)
      .get('/admin/queues')
      .set(tokenFor({ role: 'customer' }))
      .expect(403)
      .expect(problem('forbidden'));
    await request(gw.app)
      .get('/admin/queues?token=garbage')
      .expect(401)
      .expect(problem('invalid_token'));
  });

  test('when an admin opens it, then the dashboard and its API answer, by header or by ?token cookie', async () => {
    const admin = tokenFor({ role: 'admin' });
    const page = await request(gw.app).get('/admin/queues').set(admin).expect(200);
    expect(page.text).toContain('<html');
    const token = admin.Authorization.replace('Bearer ', '');
    const withQuery = await request(gw.app).get(`/admin/queues?token=${token}`).expect(200);
    const cookie = withQuery.headers['set-cookie'] as unknown as string[];
    expect(cookie[0]).toMatch(/queues_token=.*HttpOnly/);
    const api = await request(gw.app)
      .get('/admin/queues/api/queues')
      .set('Cookie', cookie[0]!.split(';')[0]!)
      .expect(200);
    expect(JSON.stringify(api.body)).toContain('sqs-poll');
    expect(gw.logs.join('')).toContain('/admin/queues?token=[redacted]');
    expect(gw.logs.join('')).not.toContain(token);
  });
});

describe('configuration', () => {
  test('when variables are malformed, then one error names each', () => {
    expect(() => loadConfig({ POLL_INTERVAL_MS: '5', REDIS_URL: 'localhost', PORT: '-1' })).toThrow(
      ConfigError,
    );
    try {
      loadConfig({ POLL_INTERVAL_MS: '5', REDIS_URL: 'localhost', PORT: '-1' });
    } catch (error) {
      expect((error as ConfigError).problems.map((p) => p.split(':')[0]).sort()).toEqual([
        'POLL_INTERVAL_MS',
        'PORT',
        'REDIS_URL',
      ]);
    }
  });

  test('when the drain concurrency settings are out of range, then both are named', () => {
    try {
      loadConfig({ DRAIN_CONCURRENCY: '9', DRAIN_WORKERS_MAX: '0' });
      throw new Error('loadConfig accepted them');
    } catch (error) {
      expect((error as ConfigError).problems.map((p) => p.split(':')[0]).sort()).toEqual([
        'DRAIN_CONCURRENCY',
        'DRAIN_WORKERS_MAX',
      ]);
    }
  });

  test('when the drain concurrency settings are unset, then both are 4', () => {
    expect(loadConfig({})).toMatchObject({ drainConcurrency: 4, drainWorkersMax: 4 });
  });

  test('when production has no public key or database, then it refuses to start', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
      /JWT_PUBLIC_KEY: is required in production/,
    );
  });

  test('when nothing is set, then development defaults', () => {
    expect(loadConfig({})).toMatchObject({
      port: 8001,
      pollIntervalMs: 1000,
      runMode: 'all',
      currency: 'BRL',
    });
  });
});
