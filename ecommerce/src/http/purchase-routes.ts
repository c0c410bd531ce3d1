import { createdHeaders, listHeaders, reply, route, traceLogFields } from '@marketplace/common';
import type { RouteTable } from '@marketplace/common';
import type { z } from 'zod';
import type { Purchase } from '../data/purchase-repository';
import { maskCardNumber } from '../domain/credit-card';
import type { PurchaseUseCases } from '../domain/purchase-use-cases';
import type { Metrics } from '../metrics';
import { purchaseBody, purchaseHeaders, purchaseResponse } from './purchase-schemas';
import { idParams, pageQuery } from './schemas';

const purchaseJson = (purchase: Purchase): z.infer<typeof purchaseResponse> => ({
  purchase_id: purchase.id,
  client: purchase.username,
  status: purchase.status,
  total_price: purchase.totalPrice,
  currency: purchase.currency,
  credit_card: maskCardNumber(purchase.card.last4),
  items: purchase.items.map((item) => ({
    product_id: item.productId,
    seller_id: item.sellerId,
    title: item.title,
    quantity: item.quantity,
    unit_price: item.unitPrice,
    subtotal: item.subtotal,
  })),
  created_at: purchase.createdAt.toISOString(),
});

export function purchaseRoutes(purchases: PurchaseUseCases, metrics: Metrics): RouteTable {
  // GET /purchase/history is the original system's name for GET /purchase.
  const history = (path: string, summary: string) =>
    route({
      method: 'get',
      path,
      summary,
      auth: 'token',
      request: { query: pageQuery },
      responses: {
        200: { description: 'Purchases', schema: purchaseResponse.array(), headers: listHeaders },
      },
      handler: async ({ query, principal }) => {
        const { items, total } = await purchases.history(principal, query);
        return reply(200, items.map(purchaseJson), { 'X-Total-Count': total });
      },
    });

  return {
    tags: ['purchases'],
    failures: { 503: 'The database cannot be reached' },
    routes: [
      route({
        method: 'post',
        path: '/purchase',
        summary: 'Buy products',
        description:
          'Several products with quantities (the same product twice is merged). Stock is reserved atomically. ' +
          'Send an Idempotency-Key header to make retries safe.',
        auth: 'token',
        request: { headers: purchaseHeaders, body: purchaseBody },
        responses: {
          201: {
            description: 'Placed (or replayed for a repeated Idempotency-Key)',
            schema: purchaseResponse,
            headers: createdHeaders,
          },
        },
        failures: {
          400: 'Invalid body or card, or Idempotency-Key header',
          409: 'Not enough stock',
          422: 'Unknown products, or Idempotency-Key reused with another body',
        },
        handler: async ({ headers, body, principal, req, span }) => {
          const card = body.credit_card;
          const { purchase, eventId } = await purchases.place(span, principal, {
            lines: body.products.map((p) => ({ productId: p.product_id, quantity: p.quantity })),
            card: {
              number: card.card_number,
              cvv: card.cvv,
              holderName: card.card_holder_name,
              expDate: card.exp_date,
            },
            idempotencyKey: headers['Idempotency-Key'],
          });
          if (eventId) {
            metrics.purchasesPlaced.inc();
            // Ties this request id to the event id the payment gateway logs when it books the sale.
            req.log.info(
              { purchase_id: purchase.id, event_id: eventId, ...traceLogFields(span) },
              'purchase placed',
            );
          } else {
            req.log.info(
              { purchase_id: purchase.id, ...traceLogFields(span) },
              'purchase replayed for its Idempotency-Key',
            );
          }
          return reply(201, purchaseJson(purchase), { Location: `/purchase/${purchase.id}` });
        },
      }),
      history('/purchase', "The caller's purchases, newest first"),
      history('/purchase/history', 'Same as GET /purchase'),
      route({
        method: 'get',
        path: '/purchase/:id',
        summary: 'One purchase (its buyer or an admin)',
        auth: 'token',
        request: { params: idParams },
        responses: { 200: { description: 'The purchase', schema: purchaseResponse } },
        failures: { 403: 'Not the buyer', 404: 'Unknown purchase' },
        handler: async ({ params, principal }) =>
          reply(200, purchaseJson(await purchases.get(principal, params.id))),
      }),
      route({
        method: 'post',
        path: '/purchase/:id/cancel',
        summary: 'Cancel a placed purchase: stock goes back, order_cancelled is published',
        auth: 'token',
        request: { params: idParams },
        responses: { 200: { description: 'Cancelled', schema: purchaseResponse } },
        failures: { 403: 'Not the buyer', 404: 'Unknown purchase', 409: 'Already cancelled' },
        handler: async ({ params, principal, req, span }) => {
          const { purchase, eventId } = await purchases.cancel(span, principal, params.id);
          metrics.purchasesCancelled.inc();
          req.log.info(
            { purchase_id: purchase.id, event_id: eventId, ...traceLogFields(span) },
            'purchase cancelled',
          );
          return reply(200, purchaseJson(purchase));
        },
      }),
    ],
  };
}
