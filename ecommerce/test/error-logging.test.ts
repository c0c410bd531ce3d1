import { randomUUID } from 'node:crypto';
import {
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
    const { lines, destination } = captureLogs(process.env.TEST_ECOMMERCE_LOG_DIR);
    const logger = createLogger({ name: 'ecommerce', level: 'info' }, destination);
    const app = createBaseApp({
      logger,
      httpRequestDuration: createServiceRegistry().httpRequestDuration,
      trustProxy: false,
      corsOrigins: [],
    });
    const row = secrets();
    app.post('/fails', async () => {
      // A check violation (role) is not one the error mapper knows: a 500, logged with its error.
      await t.services.sequelize.query(
        `INSERT INTO users (id, username, email, password_hash, role)
         VALUES (:id, :username, :email, :passwordHash, 'emperor')`,
        { replacements: row },
      );
    });
    app.use(problemHandler);

    const res = await request(app).post('/fails').expect(500);
    expect(res.body.detail).toBe('An unexpected error occurred.');
    const logged = lines.join('');
    expect(logged).toContain('unhandled error');
    expect(logged).toContain('23514');
    for (const value of [row.email, row.passwordHash, row.username]) {
      expect(logged).not.toContain(value);
    }
  });
});
