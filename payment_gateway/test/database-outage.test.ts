import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { problem } from '../../test-support/problem';
import { freePort } from '../../test-support/processes';
import { tokenFor } from './support/events';
import { ownMessaging, startTestGateway } from './support/test-app';
import type { TestGateway } from './support/test-app';

/**
 * With the ledger database unreachable (a port nothing listens on), revenue reads answer a
 * fast 503 problem+json, and readiness names PostgreSQL as the failing dependency.
 */
let gw: TestGateway;
beforeAll(async () => {
  const messaging = await ownMessaging();
  const unreachable = new URL(process.env.TEST_PAYMENTS_DATABASE_URL!);
  unreachable.host = `127.0.0.1:${await freePort()}`;
  gw = await startTestGateway({
    queueUrl: messaging.queueUrl,
    env: { DATABASE_URL: unreachable.toString() },
  });
});
afterAll(() => gw.close());

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
