import { randomUUID } from 'node:crypto';
import {
  AppError,
  createBaseApp,
  createLogger,
  createServiceRegistry,
  problemHandler,
} from '@marketplace/common';
import request from 'supertest';
import { captureLogs } from '../../test-support/log-capture';
import { UserRepository } from '../src/data/user-repository';
import { unique } from './support/actors';
import { startTestApp } from './support/test-app';
import type { TestApp } from './support/test-app';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

/** A user row's values a failing query would otherwise carry into the log. */
const secrets = () => {
  const username = unique('logged');
  return {
    id: randomUUID(),
    username,
    email: `${username}@private.example`,
    passwordHash: `$2b$12$${randomUUID().replace(/-/g, '')}abcdefghijklmnopqrstu`,
  };
};

/** The service's base app and error handler around routes that fail as given; its log lines. */
function appFailingWith(routes: Record<string, () => Promise<unknown>>) {
  const { lines, destination } = captureLogs(process.env.TEST_ECOMMERCE_LOG_DIR);
  const app = createBaseApp({
    logger: createLogger({ name: 'ecommerce', level: 'info' }, destination),
    httpRequestDuration: createServiceRegistry().httpRequestDuration,
    trustProxy: false,
    corsOrigins: [],
  });
  for (const [path, handler] of Object.entries(routes)) app.all(path, handler);
  app.use(problemHandler);
  return { app, lines };
}

describe('a failing query in the logs', () => {
  test('when a unique violation is logged, then neither the SQL values nor the detail appear', async () => {
    const { lines, destination } = captureLogs(process.env.TEST_ECOMMERCE_LOG_DIR);
    const logger = createLogger({ name: 'ecommerce', level: 'info' }, destination);
    const users = new UserRepository(t.services.sequelize);
    const first = secrets();
    await users.insert({ ...first, role: 'customer', sellerId: null });
    const second = { ...secrets(), email: first.email };
    const error = await users
      .insert({ ...second, role: 'customer', sellerId: null })
      .catch((e: unknown) => e);
    logger.error({ err: error }, 'insert failed');

    const line = lines.join('');
    expect(line).toContain('users_email_key');
    expect(line).toContain('23505');
    for (const value of [first.email, second.passwordHash, second.username]) {
      expect(line).not.toContain(value);
    }
  });

  test('when a request fails on an unexpected database error, then the 500 logs carry no values', async () => {
    const row = secrets();
    const { app, lines } = appFailingWith({
      // A check violation (role) is not one the error mapper knows: a 500, logged with its error.
      '/fails': () =>
        t.services.sequelize.query(
          `INSERT INTO users (id, username, email, password_hash, role)
           VALUES (:id, :username, :email, :passwordHash, 'emperor')`,
          { replacements: row },
        ),
    });

    const res = await request(app).post('/fails').expect(500);
    expect(res.body.detail).toBe('An unexpected error occurred.');
    const logged = lines.join('');
    expect(logged).toContain('unhandled error');
    expect(logged).toContain('23514');
    expect(logged).toContain('users_role_check');
    for (const value of [row.email, row.passwordHash, row.username]) {
      expect(logged).not.toContain(value);
    }
  });
});

describe('an unexpected failure', () => {
  const failingApp = (routes: Record<string, () => Promise<unknown>>) => {
    const { app, lines } = appFailingWith(routes);
    // The OpenAPI contract check asks each app for /openapi.json (a 404 here): not this test's.
    const logged = () =>
      lines
        .map((line) => JSON.parse(line) as { req?: { url?: string } })
        .filter((line) => line.req?.url !== '/openapi.json');
    return { app, logged };
  };
  const table = 'users';
  const failingQuery = () =>
    t.services.sequelize.query(`SELECT no_such_column FROM ${table} WHERE id = :id`, {
      replacements: { id: randomUUID() },
    });

  test('when a request fails unexpectedly, then a generic 500 body without SQL or table names', async () => {
    const { app } = failingApp({ '/orders': failingQuery });
    const res = await request(app).get('/orders').expect(500);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toEqual({
      type: 'urn:marketplace:problem:internal',
      title: 'Internal Server Error',
      status: 500,
      detail: 'An unexpected error occurred.',
      code: 'internal',
    });
    expect(JSON.stringify(res.body)).not.toMatch(/no_such_column|users|SELECT|42703/);
  });

  test('when a request fails unexpectedly, then exactly one log line, with the error and its stack', async () => {
    const { app, logged } = failingApp({ '/orders': failingQuery });
    const res = await request(app).get('/orders').expect(500);
    expect(logged()).toEqual([
      expect.objectContaining({
        level: 50,
        msg: 'unhandled error',
        req: expect.objectContaining({ id: res.headers['x-request-id'], url: '/orders' }),
        res: { statusCode: 500 },
        err: expect.objectContaining({
          message: expect.stringContaining('no_such_column'),
          stack: expect.stringMatching(/\n\s+at /),
        }),
      }),
    ]);
  });

  test('when a quiet path (/metrics) fails unexpectedly, then it is logged all the same', async () => {
    const { app, logged } = failingApp({ '/metrics': failingQuery });
    await request(app).get('/metrics').expect(500);
    expect(logged()).toEqual([expect.objectContaining({ level: 50, msg: 'unhandled error' })]);
  });

  test('when a request gets a 503 on purpose, then its one log line carries no made-up stack', async () => {
    const { app, logged } = failingApp({
      '/busy': () => Promise.reject(new AppError('overloaded', 'Busy.', undefined, 1)),
    });
    await request(app).get('/busy').expect(503);
    expect(logged()).toEqual([
      expect.objectContaining({ level: 50, res: { statusCode: 503 }, msg: 'request errored' }),
    ]);
    expect(logged()[0]).not.toHaveProperty('err');
  });
});
