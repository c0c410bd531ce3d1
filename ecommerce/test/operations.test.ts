import { ConfigError } from '@marketplace/common';
import request from 'supertest';
import { loadConfig } from '../src/config';
import { startTestApp } from './support/test-app';
import type { TestApp } from './support/test-app';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

describe('operations endpoints', () => {
  test('when asked for health and readiness, then ok and ready with each check', async () => {
    expect((await request(t.app).get('/health').expect(200)).body).toEqual({ status: 'ok' });
    const ready = await request(t.app).get('/ready').expect(200);
    expect(ready.body).toEqual({ status: 'ready', checks: { postgres: 'ok', sns: 'ok' } });
  });

  test('when scraped, then /metrics is Prometheus text with request and outbox series', async () => {
    await request(t.app).get('/products').expect(200);
    const res = await request(t.app).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toContain(
      'http_request_duration_seconds_count{method="GET",route="/products",status="200"}',
    );
    expect(res.text).toMatch(/outbox_pending_events \d+/);
    expect(res.text).toContain('purchases_placed_total');
  });

  test('when the OpenAPI document is read, then it lists every endpoint with its schemas', async () => {
    const res = await request(t.app).get('/openapi.json').expect(200);
    const doc = res.body as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toMatch(/^3\./);
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(
      [
        'POST /login',
        'POST /refresh-token',
        'POST /user',
        'GET /seller',
        'GET /seller/{id}',
        'POST /seller',
        'GET /products',
        'GET /products/{id}',
        'POST /products',
        'POST /purchase',
        'GET /purchase',
        'GET /purchase/history',
        'GET /purchase/{id}',
        'POST /purchase/{id}/cancel',
        'GET /health',
        'GET /ready',
        'GET /metrics',
      ].sort(),
    );
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining([
        'PurchaseRequest',
        'Purchase',
        'CreditCard',
        'Problem',
        'Product',
        'Token',
      ]),
    );
  });

  test('when /docs is opened, then Swagger UI is served', async () => {
    const res = await request(t.app).get('/docs/').expect(200);
    expect(res.text).toContain('swagger-ui');
  });

  test('when a route does not exist, then 404 problem+json', async () => {
    const res = await request(t.app).get('/nope').expect(404);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toEqual({
      type: 'urn:marketplace:problem:route_not_found',
      title: 'Not Found',
      status: 404,
      detail: 'No route for GET /nope.',
      code: 'route_not_found',
    });
  });

  test('when a request id is given, then it is echoed', async () => {
    const given = await request(t.app).get('/health').set('X-Request-Id', 'abc-123').expect(200);
    expect(given.headers['x-request-id']).toBe('abc-123');
  });

  test('when no request id is given, then one is made', async () => {
    const made = await request(t.app).get('/health').expect(200);
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('configuration', () => {
  test('when variables are malformed, then one error names each of them', () => {
    try {
      loadConfig({
        PORT: 'eighty',
        CURRENCY: 'reais',
        BCRYPT_ROUNDS: '2',
        DATABASE_URL: 'mysql://x',
      });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const names = (error as ConfigError).problems.map((p) => p.split(':')[0]).sort();
      expect(names).toEqual(['BCRYPT_ROUNDS', 'CURRENCY', 'DATABASE_URL', 'PORT']);
    }
  });

  test('when production has no keys or database, then it refuses to start', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
      /JWT_PRIVATE_KEY: is required in production/,
    );
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
      /DATABASE_URL: is required in production/,
    );
  });

  test('when a key is neither PEM nor a file, then a clear error', () => {
    expect(() => loadConfig({ JWT_PRIVATE_KEY: '/no/such/key.pem' })).toThrow(
      /JWT_PRIVATE_KEY: is neither a PEM/,
    );
  });

  test('when nothing is set, then development defaults and the generated key pair', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8000,
      host: '127.0.0.1',
      currency: 'BRL',
      bcryptRounds: 12,
    });
    expect(config.jwt.privateKey).toContain('BEGIN PRIVATE KEY');
    expect(config.jwt.publicKey).toContain('BEGIN PUBLIC KEY');
  });
});
