import { fieldProblemCodes } from '@marketplace/common';
import { z } from 'zod';
import {
  isExpired,
  isValidCardNumber,
  normalizeCardNumber,
  parseExpiry,
} from '../domain/credit-card';
import { money, timestamp, uuid } from './schemas';

const cardSchema = z
  .strictObject({
    card_number: z
      .string()
      .transform(normalizeCardNumber)
      .refine(isValidCardNumber, '12 to 19 digits passing the Luhn check')
      .meta({ example: '4111111111111111' }),
    cvv: z
      .union([z.string(), z.number().int()])
      .transform(String)
      .refine((v) => /^\d{3,4}$/.test(v), '3 or 4 digits')
      .meta({ example: '789' }),
    card_holder_name: z.string().trim().min(1).max(100).meta({ example: 'Luke Skywalker' }),
    exp_date: z
      .string()
      .refine((v) => parseExpiry(v) !== undefined, 'MM/YY')
      .refine((v) => {
        const expiry = parseExpiry(v);
        return expiry === undefined || !isExpired(expiry);
      }, 'the card has expired')
      .meta({ example: '12/29' }),
  })
  .meta({
    id: 'CreditCard',
    description: 'Validated, then only brand, last four, holder and expiry are kept',
  });

export const MAX_QUANTITY = 1000;

export const purchaseBody = z
  .strictObject({
    products: z
      .array(
        z.strictObject({
          product_id: uuid,
          quantity: z.number().int().min(1).max(MAX_QUANTITY).default(1),
        }),
      )
      .min(1)
      .max(100),
    credit_card: cardSchema,
  })
  .superRefine((body, ctx) => {
    const totals = new Map<string, number>();
    for (const line of body.products) {
      totals.set(line.product_id, (totals.get(line.product_id) ?? 0) + line.quantity);
    }
    for (const [productId, quantity] of totals) {
      if (quantity > MAX_QUANTITY) {
        ctx.addIssue({
          code: 'custom',
          path: ['products'],
          message: `product ${productId} adds up to ${quantity}; at most ${MAX_QUANTITY} per product`,
        });
      }
    }
  })
  .meta({ id: 'PurchaseRequest' })
  // Only the card is wrong: the buyer is asked for another card, not for another order.
  .register(fieldProblemCodes, { credit_card: 'invalid_card' });

export const purchaseHeaders = z.object({
  'Idempotency-Key': z.string().min(1).max(255).optional().meta({
    description: 'The same key from the same user returns the first result',
  }),
});

export const purchaseResponse = z
  .object({
    purchase_id: uuid,
    client: z.string().meta({ description: 'Username of the buyer', example: 'james' }),
    status: z.enum(['placed', 'cancelled']),
    total_price: money,
    currency: z.string().meta({ example: 'BRL' }),
    credit_card: z.string().meta({ example: '**** **** **** 1111' }),
    items: z.array(
      z.object({
        product_id: uuid,
        seller_id: uuid,
        title: z.string(),
        quantity: z.number().int(),
        unit_price: money,
        subtotal: money,
      }),
    ),
    created_at: timestamp,
  })
  .meta({ id: 'Purchase' });
