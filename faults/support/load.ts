import { randomUUID } from 'node:crypto';
import type { Buyer } from './scenario';
import { sleep } from '../../test-support/eventually';

/** The fixture products (unlimited stock) of two sellers. */
export const PRODUCTS = [
  { id: '66efcb62-7b50-41b9-a3ca-7a6382eba6e8', sellerId: '72443a08-f340-4cdd-99f5-aa1de7b0455f' },
  { id: '8c992915-ed3f-4b9a-a312-f5854392f80b', sellerId: '72443a08-f340-4cdd-99f5-aa1de7b0455f' },
  { id: 'aa44ac86-3705-4954-8a1d-aa4733623870', sellerId: '8a4d5b61-dc29-4717-8a5b-1f195842c27b' },
] as const;

const CARD = {
  card_number: '4111111111111111',
  cvv: '123',
  card_holder_name: 'Fault Suite',
  exp_date: '12/49',
};

/** One purchase the load makes: who, where, and its Idempotency-Key so a retry is safe. */
export interface PurchaseRequest {
  index: number;
  buyer: Buyer;
  key: string;
  /** The JSON request body. */
  payload: string;
}

export interface Outcome {
  status: number; // 0: no HTTP response (refused, reset, timed out)
  ms: number;
  startedAt: number;
  contentType: string;
  retryAfter?: string;
  body: string;
  error?: string;
}

export interface PurchaseAttempt extends PurchaseRequest, Outcome {
  purchaseId?: string;
}

/**
 * Purchase bodies: one, two or three lines; `singleSeller` keeps each purchase to one seller
 * (one ledger line per event), for scenarios that count lines exactly.
 */
export function purchaseRequests(
  buyers: Buyer[],
  count: number,
  options: { singleSeller?: boolean } = {},
): PurchaseRequest[] {
  return Array.from({ length: count }, (_, index) => {
    const products = options.singleSeller
      ? [{ product_id: PRODUCTS[index % 2]!.id, quantity: 1 + (index % 3) }]
      : PRODUCTS.slice(0, 1 + (index % 3)).map((p, line) => ({
          product_id: p.id,
          quantity: 1 + ((index + line) % 4),
        }));
    return {
      index,
      buyer: buyers[index % buyers.length]!,
      key: randomUUID(),
      payload: JSON.stringify({ products, credit_card: CARD }),
    };
  });
}

export async function send(
  url: string,
  init: { method: string; token: string; body?: string; key?: string },
  timeoutMs = 30_000,
): Promise<Outcome> {
  const startedAt = Date.now();
  try {
    const response = await fetch(url, {
      method: init.method,
      headers: {
        Authorization: `Bearer ${init.token}`,
        'Content-Type': 'application/json',
        ...(init.key ? { 'Idempotency-Key': init.key } : {}),
      },
      ...(init.body ? { body: init.body } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await response.text();
    const retryAfter = response.headers.get('retry-after');
    return {
      status: response.status,
      ms: Date.now() - startedAt,
      startedAt,
      contentType: response.headers.get('content-type') ?? '',
      ...(retryAfter ? { retryAfter } : {}),
      body,
    };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return {
      status: 0,
      ms: Date.now() - startedAt,
      startedAt,
      contentType: '',
      body: '',
      error: cause ?? (error as Error).name,
    };
  }
}

/**
 * Runs `work` over the items with at most `concurrency` in flight and, when given, at most
 * `perSecond` started each second. Results come back in the items' order.
 */
export async function inParallel<T, R>(
  items: T[],
  options: { concurrency: number; perSecond?: number | undefined },
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  const started = Date.now();
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) {
      if (options.perSecond) {
        const due = started + (i * 1000) / options.perSecond;
        if (due > Date.now()) await sleep(due - Date.now());
      }
      results[i] = await work(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return results;
}

/** Makes the purchases, spread over `shopUrls` in turn; one attempt per request, in order. */
export function placePurchases(
  shopUrls: string[],
  requests: PurchaseRequest[],
  options: { concurrency: number; perSecond?: number; timeoutMs?: number },
): Promise<PurchaseAttempt[]> {
  return inParallel(requests, options, (request, i) =>
    placeOne(shopUrls[i % shopUrls.length]!, request, options.timeoutMs),
  );
}

export async function placeOne(
  shopUrl: string,
  request: PurchaseRequest,
  timeoutMs?: number,
): Promise<PurchaseAttempt> {
  const outcome = await send(
    `${shopUrl}/purchase`,
    { method: 'POST', token: request.buyer.token, body: request.payload, key: request.key },
    timeoutMs,
  );
  const purchaseId =
    outcome.status === 201
      ? (JSON.parse(outcome.body) as { purchase_id: string }).purchase_id
      : undefined;
  return { ...request, ...outcome, ...(purchaseId ? { purchaseId } : {}) };
}

/**
 * Retries, with the same Idempotency-Key, every purchase that did not get its 201, until each
 * has one (a client that keeps its key never buys twice) or the deadline passes.
 */
export async function retryUntilPlaced(
  shopUrl: string,
  attempts: PurchaseAttempt[],
  timeoutMs: number,
): Promise<{ retried: number; attempts: PurchaseAttempt[] }> {
  const deadline = Date.now() + timeoutMs;
  const settled = [...attempts];
  let retried = 0;
  for (;;) {
    const pending = settled.filter((a) => a.status !== 201);
    if (pending.length === 0 || Date.now() > deadline) return { retried, attempts: settled };
    for (const attempt of pending) {
      retried++;
      settled[attempt.index] = await placeOne(shopUrl, attempt);
    }
    if (settled.some((a) => a.status !== 201)) await sleep(1000);
  }
}

/** Cancels the given purchases (each as its buyer), a few at a time. */
export function cancelPurchases(shopUrl: string, attempts: PurchaseAttempt[]): Promise<Outcome[]> {
  return inParallel(attempts, { concurrency: 4 }, (attempt) =>
    send(`${shopUrl}/purchase/${attempt.purchaseId}/cancel`, {
      method: 'POST',
      token: attempt.buyer.token,
    }),
  );
}

/** How many of each status (0 = no response, by error code). */
export function tally(outcomes: Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) {
    const key = o.status === 0 ? `error:${o.error}` : String(o.status);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}
