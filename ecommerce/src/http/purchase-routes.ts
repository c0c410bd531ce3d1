import { parseInput, principalOf } from '@marketplace/common';
import { Router } from 'express';
import type { RequestHandler } from 'express';
import type { PurchaseUseCases } from '../domain/purchase-use-cases';
import type { Metrics } from '../metrics';
import { purchaseJson } from './presenters';
import { idempotencyKeyHeader, idParams, pageQuery, purchaseBody } from './schemas';

export function purchaseRoutes(
  purchases: PurchaseUseCases,
  authenticated: RequestHandler,
  metrics: Metrics,
): Router {
  const router = Router();
  router.use('/purchase', authenticated);

  router.post('/purchase', async (req, res) => {
    const idempotencyKey = parseInput(idempotencyKeyHeader, req.get('Idempotency-Key'), 'header');
    const body = parseInput(purchaseBody, req.body, 'body');
    const card = body.credit_card;
    const { purchase, eventId } = await purchases.place(principalOf(res), {
      lines: body.products.map((p) => ({ productId: p.product_id, quantity: p.quantity })),
      card: {
        number: card.card_number,
        cvv: card.cvv,
        holderName: card.card_holder_name,
        expDate: card.exp_date,
      },
      idempotencyKey,
    });
    if (eventId) {
      metrics.purchasesPlaced.inc();
      // Ties this request id to the event id the payment gateway logs when it books the sale.
      req.log.info({ purchase_id: purchase.id, event_id: eventId }, 'purchase placed');
    } else {
      req.log.info({ purchase_id: purchase.id }, 'purchase replayed for its Idempotency-Key');
    }
    res.status(201).location(`/purchase/${purchase.id}`).json(purchaseJson(purchase));
  });

  const history: RequestHandler = async (req, res) => {
    const page = parseInput(pageQuery, req.query, 'query');
    const { items, total } = await purchases.history(principalOf(res), page);
    res.setHeader('X-Total-Count', String(total)).json(items.map(purchaseJson));
  };
  router.get('/purchase', history);
  router.get('/purchase/history', history);

  router.get('/purchase/:id', async (req, res) => {
    const { id } = parseInput(idParams, req.params, 'path');
    res.json(purchaseJson(await purchases.get(principalOf(res), id)));
  });

  router.post('/purchase/:id/cancel', async (req, res) => {
    const { id } = parseInput(idParams, req.params, 'path');
    const { purchase, eventId } = await purchases.cancel(principalOf(res), id);
    metrics.purchasesCancelled.inc();
    req.log.info({ purchase_id: purchase.id, event_id: eventId }, 'purchase cancelled');
    res.json(purchaseJson(purchase));
  });

  return router;
}
