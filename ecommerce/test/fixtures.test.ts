import request from 'supertest';
import { loadFixtures } from '../src/data/fixtures';
import { login } from './support/actors';
import { startTestApp } from './support/test-app';
import type { TestApp } from './support/test-app';
import { README_CARD } from '../../test-support/readme-walkthrough';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

test('when the fixtures are loaded twice, then the demo logins and catalogue work as documented', async () => {
  await loadFixtures(t.services.sequelize, { bcryptRounds: 4 });
  const counts = await loadFixtures(t.services.sequelize, { bcryptRounds: 4 });
  expect(counts).toEqual({ sellers: 3, users: 5, products: 4 });

  const notebook = await request(t.app)
    .get('/products/aa44ac86-3705-4954-8a1d-aa4733623870')
    .expect(200);
  expect(notebook.body).toMatchObject({
    title: 'Notebook LeVelho',
    price: 100000,
    seller: { seller_id: '8a4d5b61-dc29-4717-8a5b-1f195842c27b', name: 'Josias' },
  });
  const fromNewSeller = await request(t.app)
    .get('/products?seller_id=72443a08-f340-4cdd-99f5-aa1de7b0455f')
    .expect(200);
  expect(fromNewSeller.headers['x-total-count']).toBe('3');

  const james = await login(t.app, 'james', 'james1234');
  await request(t.app)
    .post('/purchase')
    .set('Authorization', `JWT ${james}`)
    .send({
      products: [{ product_id: '66efcb62-7b50-41b9-a3ca-7a6382eba6e8', quantity: 2 }],
      credit_card: README_CARD,
    })
    .expect(201);
  const mayara = await login(t.app, 'mayara', 'mayara123');
  await request(t.app)
    .post('/seller')
    .set('Authorization', `Bearer ${mayara}`)
    .send({ name: 'By the admin' })
    .expect(201);
  const josias = await login(t.app, 'josias', 'seller1234');
  await request(t.app)
    .post('/products')
    .set('Authorization', `Bearer ${josias}`)
    .send({ title: 'Mouse', price: 5000, seller_id: '8a4d5b61-dc29-4717-8a5b-1f195842c27b' })
    .expect(201);
});
