import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { customer, login, unique } from './support/actors';
import { startTestApp } from './support/test-app';
import type { TestApp } from './support/test-app';
import { problem } from '../../test-support/problem';
import { signToken } from '../../test-support/tokens';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

describe('POST /user', () => {
  test('when the fields are valid, then the customer is created and can log in', async () => {
    const username = unique('leia');
    const res = await request(t.app)
      .post('/user')
      .send({ username, email: `${username}@example.com`, password: 'alderaan77' })
      .expect(201);
    expect(res.body).toEqual({ user_id: expect.any(String), username });
    const token = await login(t.app, username, 'alderaan77');
    const claims = jwt.decode(token) as Record<string, unknown>;
    expect(claims).toMatchObject({ sub: res.body.user_id, username, role: 'customer' });
  });

  test('when the username is taken (in any case), then 409', async () => {
    const user = await customer(t.app);
    const res = await request(t.app)
      .post('/user')
      .send({
        username: user.username.toUpperCase(),
        email: `${unique('x')}@example.com`,
        password: 'password123',
      })
      .expect(409)
      .expect(problem('username_taken'));
    expect(res.body).toMatchObject({ status: 409, title: 'Conflict' });
  });

  test('when the email is taken, then 409', async () => {
    const user = await customer(t.app);
    await request(t.app)
      .post('/user')
      .send({
        username: unique('other'),
        email: `${user.username}@example.com`,
        password: 'password123',
      })
      .expect(409)
      .expect(problem('email_taken'));
  });

  test('when the password is short and the email malformed, then 400 naming both', async () => {
    const res = await request(t.app)
      .post('/user')
      .send({ username: unique('u'), email: 'not-an-email', password: 'short' })
      .expect(400)
      .expect(problem('validation_failed'));
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'email',
      'password',
    ]);
  });

  test('when the password is over 72 bytes (what bcrypt reads), then 400', async () => {
    const res = await request(t.app)
      .post('/user')
      .send({
        username: unique('long'),
        email: `${unique('l')}@example.com`,
        password: 'é'.repeat(37),
      })
      .expect(400);
    expect(res.body.errors).toEqual([{ path: 'password', message: 'at most 72 bytes' }]);
  });

  test('when the body is not JSON, then 400 problem+json', async () => {
    const res = await request(t.app)
      .post('/user')
      .set('Content-Type', 'application/json')
      .send('{"username": ')
      .expect(400)
      .expect(problem('malformed_body'));
    expect(res.body.detail).toBe('The request body is not valid JSON.');
  });

  test('when the body is over 100 kB, then 413', async () => {
    const res = await request(t.app)
      .post('/user')
      .send({ username: 'x', email: 'x@example.com', password: 'a'.repeat(110_000) })
      .expect(413)
      .expect(problem('payload_too_large'));
    expect(res.body.status).toBe(413);
  });
});

describe('POST /login', () => {
  test('when credentials are right (JSON), then an RS256 token with exp', async () => {
    const user = await customer(t.app);
    const res = await request(t.app)
      .post('/login')
      .send({ username: user.username, password: user.password })
      .expect(200);
    expect(res.body).toEqual({ token: expect.any(String), token_type: 'Bearer', expires_in: 3600 });
    const verified = jwt.verify(res.body.token, t.services.config.jwt.publicKey, {
      algorithms: ['RS256'],
    }) as jwt.JwtPayload;
    expect(verified.exp! - verified.iat!).toBe(3600);
  });

  test('when credentials come form-urlencoded to /login/, then 200', async () => {
    const user = await customer(t.app);
    await request(t.app)
      .post('/login/')
      .type('form')
      .send({ username: user.username, password: user.password })
      .expect(200);
  });

  test('when the password is wrong or the user unknown, then 401 with the same message', async () => {
    const user = await customer(t.app);
    const wrong = await request(t.app)
      .post('/login')
      .send({ username: user.username, password: 'nope-nope' })
      .expect(401)
      .expect(problem('invalid_credentials'));
    const unknown = await request(t.app)
      .post('/login')
      .send({ username: unique('ghost'), password: 'nope-nope' })
      .expect(401)
      .expect(problem('invalid_credentials'));
    expect(wrong.body.detail).toBe(unknown.body.detail);
    expect(wrong.headers['www-authenticate']).toBe('Bearer');
  });

  test('when fields are missing, then 400', async () => {
    const res = await request(t.app).post('/login').send({ username: 'x' }).expect(400);
    expect(res.body.errors).toEqual([{ path: 'password', message: expect.any(String) }]);
  });

  test('when one username fails 10 times from one IP, then 429 for it but not for others', async () => {
    const user = await customer(t.app);
    for (let i = 0; i < 10; i++) {
      await request(t.app)
        .post('/login')
        .send({ username: user.username, password: 'wrong-one' })
        .expect(401);
    }
    await request(t.app)
      .post('/login')
      .send({ username: user.username, password: user.password })
      .expect(429)
      .expect(problem('rate_limited'));
    const other = await customer(t.app);
    await request(t.app)
      .post('/login')
      .send({ username: other.username, password: other.password })
      .expect(200);
  });
});

describe('POST /refresh-token', () => {
  test.each(['Bearer', 'JWT'])(
    'when a valid token comes with the %s scheme, then a fresh token for the same user',
    async (scheme) => {
      const user = await customer(t.app);
      const res = await request(t.app)
        .post('/refresh-token')
        .set('Authorization', `${scheme} ${user.token}`)
        .expect(200);
      expect(jwt.decode(res.body.token)).toMatchObject({
        sub: user.userId,
        username: user.username,
      });
    },
  );

  test('when there is no token, then 401', async () => {
    await request(t.app).post('/refresh-token').expect(401).expect(problem('token_required'));
  });

  test('when the token is valid but its account no longer exists, then 401', async () => {
    const token = signToken(t.services.config.jwt.privateKey, {
      sub: randomUUID(),
      username: unique('gone'),
      role: 'customer',
    });
    await request(t.app)
      .post('/refresh-token')
      .set('Authorization', `Bearer ${token}`)
      .expect(401)
      .expect(problem('account_not_found'));
  });
});
