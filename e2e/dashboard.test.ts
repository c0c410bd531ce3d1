import { startGateway, startShop } from './support/stack';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpServer, devKeyPair } from '@marketplace/common';
import type { Express } from 'express';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import request from 'supertest';
import {
  admin,
  createProduct,
  customer,
  sellerWithUser,
  validCard,
} from '../ecommerce/test/support/actors';
import type { Actor } from '../ecommerce/test/support/actors';
import type { TestApp } from '../ecommerce/test/support/test-app';
import type { TestGateway } from '../payment_gateway/test/support/test-app';
import { startJobs } from '../payment_gateway/src/services';
import { signToken } from '../test-support/tokens';
import { testBullPrefix } from '../test-support/bullmq';
import { eventually, waitFor } from '../test-support/eventually';

/**
 * The sellers' dashboard in a real browser (Debian's Chromium driven by playwright-core),
 * against both services listening on ports, the emulator and the drain: what a seller sees.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let shop: TestApp;
let gateway: TestGateway;
const servers: Server[] = [];
let gatewayUrl: string;
let browser: Browser;
let boss: Actor;
let buyer: Actor;

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  // The gateway's origin first: ecommerce lets that origin (the page) call /login.
  const gatewayServes: { app?: Express } = {};
  gatewayUrl = await listen(createHttpServer((req, res) => gatewayServes.app!(req, res)));
  shop = await startShop({ env: { CORS_ORIGINS: gatewayUrl } });
  const shopUrl = await listen(createHttpServer(shop.app));
  gateway = await startGateway({
    bullPrefix: testBullPrefix('dashboard'),
    env: { ECOMMERCE_PUBLIC_URL: shopUrl },
  });
  gatewayServes.app = gateway.app;
  await gateway.services.feed.start();
  await startJobs(gateway.services);
  browser = await chromium.launch({ executablePath: CHROMIUM });
  boss = await admin(shop);
  buyer = await customer(shop.app);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all([shop?.close(), gateway?.close()]);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

const contexts: BrowserContext[] = [];
const pageErrors: string[] = [];
afterEach(async () => {
  await Promise.all(contexts.splice(0).map((context) => context.close()));
  expect(pageErrors.splice(0)).toEqual([]);
});

/** A browser tab as a Brazilian seller's (the deployment's currency is BRL). */
async function newPage(options: { width?: number } = {}): Promise<Page> {
  const context = await browser.newContext({
    locale: 'pt-BR',
    viewport: { width: options.width ?? 1024, height: 800 },
  });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  // A script error on the page fails the test that caused it.
  page.on('pageerror', (error) => pageErrors.push(error.message));
  return page;
}

async function logIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto(`${gatewayUrl}/dashboard`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

async function sellerWithProduct(price: number) {
  const seller = await sellerWithUser(shop, boss);
  const productId = await createProduct(shop.app, boss, { sellerId: seller.sellerId, price });
  return { seller, productId };
}

async function buy(productId: string, quantity = 1): Promise<string> {
  const res = await request(shop.app)
    .post('/purchase')
    .set(buyer.auth)
    .send({ products: [{ product_id: productId, quantity }], credit_card: validCard() })
    .expect(201);
  return (res.body as { purchase_id: string }).purchase_id;
}

/** The seller's ledger lines as the API has them (booked_at says when each was booked). */
async function ledgerLines(sellerId: string): Promise<{ amount: number; booked_at: string }[]> {
  const res = await request(gateway.app)
    .get(`/revenue/${sellerId}/entries`)
    .set(boss.auth)
    .expect(200);
  return res.body;
}

async function booked(sellerId: string, count: number): Promise<void> {
  await waitFor(`${count} ledger lines`, async () => (await ledgerLines(sellerId)).length >= count);
}

const money = (text: string) => text.replace(/\s/g, ' ');

test('when a seller logs in, then the page shows their total, purchases, chart and lines', async () => {
  const { seller, productId } = await sellerWithProduct(2990);
  await buy(productId, 2);
  await booked(seller.sellerId, 1);
  const page = await newPage();

  await logIn(page, seller.username, seller.password);

  await expectText(page, '#total', 'R$ 59,80');
  await expectText(page, '#purchases', '1');
  await page.locator('#chart canvas').first().waitFor();
  await expectText(page, '#lines li', 'Sale');
  expect(await page.locator('#lines li').count()).toBe(1);
  expect(await page.locator('#empty').isVisible()).toBe(false);
});

test('when a purchase is made with the page open, then its line shows within 1 s of being booked, without a reload', async () => {
  const { seller, productId } = await sellerWithProduct(1500);
  const page = await newPage();
  await logIn(page, seller.username, seller.password);
  await page.locator('#empty').waitFor();
  await page.locator('#live[data-state="live"]').waitFor();
  let navigations = 0;
  page.on('framenavigated', () => navigations++);

  await buy(productId);
  await page.locator('#lines li').first().waitFor({ timeout: 10_000 });
  const shownAt = Date.now();

  const [line] = await ledgerLines(seller.sellerId);
  expect(shownAt - Date.parse(line!.booked_at)).toBeLessThan(1000);
  await expectText(page, '#lines li .line-amount', 'R$ 15,00');
  await expectText(page, '#total', 'R$ 15,00');
  expect(await page.locator('#empty').isVisible()).toBe(false);
  expect(navigations).toBe(0);
});

test('when a purchase is cancelled, then a negative line shows and the total drops', async () => {
  const { seller, productId } = await sellerWithProduct(1000);
  const purchaseId = await buy(productId);
  await booked(seller.sellerId, 1);
  const page = await newPage();
  await logIn(page, seller.username, seller.password);
  await expectText(page, '#total', 'R$ 10,00');
  await page.locator('#live[data-state="live"]').waitFor();

  await request(shop.app).post(`/purchase/${purchaseId}/cancel`).set(buyer.auth).expect(200);

  const cancellation = page.locator('#lines li', { hasText: 'Cancellation' });
  await cancellation.waitFor({ timeout: 10_000 });
  expect(await cancellation.locator('.line-amount.negative').textContent()).toMatch(
    /-\s?R\$\s10,00/,
  );
  await expectText(page, '#total', 'R$ 0,00');
  await expectText(page, '#purchases', '0');
});

test('when another seller sells, then nothing of theirs shows, and their stream is refused', async () => {
  const mine = await sellerWithProduct(700);
  const theirs = await sellerWithProduct(800);
  const page = await newPage();
  await logIn(page, mine.seller.username, mine.seller.password);
  await page.locator('#live[data-state="live"]').waitFor();

  await buy(theirs.productId);
  await booked(theirs.seller.sellerId, 1);
  await page.waitForTimeout(500);

  expect(await page.locator('#lines li').count()).toBe(0);
  await expectText(page, '#total', 'R$ 0,00');
  const status = await page.evaluate(async (otherSeller) => {
    const token = sessionStorage.getItem('dashboard-token');
    const response = await fetch(`/revenue/${otherSeller}/stream`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    return response.status;
  }, theirs.seller.sellerId);
  expect(status).toBe(403);
});

test('when the password is wrong, then the page says so and stays on the login form', async () => {
  const { seller } = await sellerWithProduct(100);
  const page = await newPage();

  await logIn(page, seller.username, 'not-the-password');

  await expectText(page, '#login-error', 'Invalid username or password.');
  expect(await page.locator('#revenue-view').isVisible()).toBe(false);
});

test('when the token expires on an open page, then it asks the seller to log in again', async () => {
  const { seller } = await sellerWithProduct(100);
  const token = signToken(
    devKeyPair().privateKey,
    { sub: seller.userId, username: seller.username, role: 'seller', seller_id: seller.sellerId },
    { expiresIn: 5 },
  );
  const page = await newPage();
  await page.addInitScript((saved) => sessionStorage.setItem('dashboard-token', saved), token);
  await page.goto(`${gatewayUrl}/dashboard`);
  await page.locator('#revenue-view').waitFor();

  await expectText(page, '#notice', 'Your session has expired', 8000);
  expect(await page.locator('#login-view').isVisible()).toBe(true);
});

test('when the page is 375 px wide (a phone), then nothing scrolls sideways', async () => {
  const { seller, productId } = await sellerWithProduct(123456);
  await buy(productId);
  await booked(seller.sellerId, 1);
  const page = await newPage({ width: 375 });

  await logIn(page, seller.username, seller.password);
  await page.locator('#lines li').first().waitFor();

  const { scrollWidth, clientWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
  }));
  expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
});

/** Waits until the element's text contains `expected` (spaces normalised), up to `timeoutMs`. */
async function expectText(page: Page, selector: string, expected: string, timeoutMs = 5000) {
  const text = await eventually(
    async () => money((await page.locator(selector).first().textContent()) ?? ''),
    (shown) => shown.includes(expected),
    { timeoutMs, intervalMs: 50 },
  );
  expect(text).toContain(expected);
}
