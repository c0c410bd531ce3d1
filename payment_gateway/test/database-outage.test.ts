import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { problem } from '../../test-support/problem';
import { OutageProxy } from '../../test-support/outage-proxy';
import { tokenFor } from './support/events';
import { ownMessaging, startTestGateway } from './support/test-app';
import type { TestGateway } from './support/test-app';

/**
 * With the ledger database unreachable (its connections cut by a proxy after a normal start),
 * revenue reads answer a fast 503 problem+json, and readiness names PostgreSQL as the failing
 * dependency.
 */
const databaseUrl = new URL(process.env.TEST_PAYMENTS_DATABASE_URL!);
const proxy = new OutageProxy(new URL(`tcp://${databaseUrl.host}`));
let gw: TestGateway;
beforeAll(async () => {
  const messaging = await ownMessaging();
  await proxy.up();
  const throughProxy = new URL(databaseUrl);
  throughProxy.host = `127.0.0.1:${proxy.port}`;
  // Started as in production (migrations run), then the database goes away.
  gw = await startTestGateway({
    queueUrl: messaging.queueUrl,
    env: { DATABASE_URL: throughProxy.toString() },
  });
  await proxy.down();
});
afterAll(async () => {
  await gw.close();
});

test.each(['/revenue/:seller_id', '/revenue/:seller_id/entries'])(
  'when the database is unreachable, then GET %s answers 503 unavailable with Retry-After',
  async (path) => {
    const started = Date.now();
    const res = await request(gw.app)
      .get(path.replace(':seller_id', randomUUID()))
      .set(tokenFor({ role: 'admin' }))
      .expect(503)
      .expect(problem('unavailable'));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(res.headers['retry-after']).toBe('1');
    expect(JSON.stringify(res.body)).not.toMatch(/sequelize|ECONNREFUSED|127\.0\.0\.1|ledger/i);
  },
);

test('when the database is unreachable, then /ready is 503 naming postgres and only postgres', async () => {
  const res = await request(gw.app).get('/ready').expect(503);
  expect(res.body).toEqual({
    status: 'unavailable',
    checks: { postgres: 'failing', redis: 'ok', sqs: 'ok' },
  });
});
