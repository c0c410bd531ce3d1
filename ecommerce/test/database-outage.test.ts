import request from 'supertest';
import { OutageProxy } from '../../test-support/outage-proxy';
import { customer } from './support/actors';
import { startTestApp } from './support/test-app';
import type { TestApp } from './support/test-app';
import { problem } from '../../test-support/problem';

/**
 * While PostgreSQL cannot be reached, callers get a fast 503 problem+json (retry later),
 * never a hang or a 500 with internals, and the service recovers by itself.
 */
const databaseUrl = new URL(process.env.TEST_ECOMMERCE_DATABASE_URL!);
const proxy = new OutageProxy(new URL(`tcp://${databaseUrl.host}`));
let t: TestApp;

beforeAll(async () => {
  await proxy.up();
  const throughProxy = new URL(databaseUrl);
  throughProxy.host = `127.0.0.1:${proxy.port}`;
  t = await startTestApp({ env: { DATABASE_URL: throughProxy.toString() } });
});
afterAll(async () => {
  await t.close();
  await proxy.down();
});

test('when a pooled connection runs a query, then statement and idle-in-transaction timeouts bound it', async () => {
  // So one stuck query or forgotten transaction cannot hold a sale (or its locks) forever.
  const [rows] = await t.services.sequelize.query(
    "SELECT current_setting('statement_timeout') AS statement, current_setting('idle_in_transaction_session_timeout') AS idle",
  );
  expect(rows).toEqual([{ statement: '10s', idle: '30s' }]);
});

test('when the database is unreachable, then reads, logins and purchases answer 503 problem+json within 5 s, and all recovers when it is back', async () => {
  const buyer = await customer(t.app);
  await proxy.down();

  for (const call of [
    () => request(t.app).get('/products'),
    () =>
      request(t.app).post('/login').send({ username: buyer.username, password: buyer.password }),
    () =>
      request(t.app)
        .post('/purchase')
        .set(buyer.auth)
        .send({
          products: [{ product_id: '66efcb62-7b50-41b9-a3ca-7a6382eba6e8' }],
          credit_card: {
            card_number: '4111111111111111',
            cvv: '123',
            card_holder_name: 'Outage',
            exp_date: '12/49',
          },
        }),
  ]) {
    const started = Date.now();
    const res = await call();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(res.status).toBe(503);
    problem('unavailable')(res);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.body).toMatchObject({ title: 'Service Unavailable' });
    expect(JSON.stringify(res.body)).not.toMatch(/sequelize|ECONNREFUSED|at .*\.js/i);
  }
  const ready = await request(t.app).get('/ready').expect(503);
  expect(ready.body).toEqual({ status: 'unavailable', checks: { postgres: 'failing', sns: 'ok' } });

  await proxy.up();
  await request(t.app).get('/products').expect(200);
  await request(t.app).get('/ready').expect(200);
});
