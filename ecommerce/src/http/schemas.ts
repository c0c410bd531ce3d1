import { z } from 'zod';
import { fieldProblemCodes } from '@marketplace/common';
import {
  isExpired,
  isValidCardNumber,
  normalizeCardNumber,
  parseExpiry,
} from '../domain/credit-card';

/**
 * Every request and response shape of the API. Routes validate with these and the OpenAPI
 * document is generated from them, so the two cannot drift apart.
 */

// Ids are compared as text further in: an upper-case UUID is the same id, so lower-case it here.
const uuid = z.uuid().toLowerCase().meta({ example: '66efcb62-7b50-41b9-a3ca-7a6382eba6e8' });
const money = z.number().int().meta({ description: 'Minor units: 2990 is 29.90', example: 2990 });
const timestamp = z.iso.datetime().meta({ example: '2026-11-22T14:00:00.000Z' });

export const idParams = z.object({ id: uuid });

export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

export const productListQuery = pageQuery.extend({ seller_id: uuid.optional() });

// --- accounts

export const loginBody = z
  .object({
    username: z.string().min(1).max(150).meta({ example: 'james' }),
    password: z.string().min(1).max(200).meta({ example: 'james1234' }),
  })
  .meta({ id: 'LoginRequest' });

export const tokenResponse = z
  .object({
    token: z.string(),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int().meta({ description: 'Seconds until the token expires' }),
  })
  .meta({ id: 'Token' });

export const registerBody = z
  .strictObject({
    username: z
      .string()
      .min(3)
      .max(150)
      .regex(/^[A-Za-z0-9_.@+-]+$/, 'letters, digits and _ . @ + - only')
      .meta({ example: 'leia' }),
    email: z.email().max(254).meta({ example: 'leia@example.com' }),
    password: z
      .string()
      .min(8)
      // bcrypt reads only the first 72 bytes: longer passwords would share a hash.
      .refine((p) => Buffer.byteLength(p) <= 72, 'at most 72 bytes')
      .meta({ example: 'alderaan77' }),
  })
  .meta({ id: 'RegisterRequest' });

export const registerResponse = z
  .object({ user_id: uuid, username: z.string() })
  .meta({ id: 'RegisteredUser' });

// --- sellers and products

export const sellerBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200).meta({ example: 'Super seller' }),
    owner_user_id: uuid.optional().meta({ description: 'The user who becomes this seller' }),
  })
  .meta({ id: 'CreateSellerRequest' });

export const sellerResponse = z
  .object({ seller_id: uuid, name: z.string(), created_at: timestamp })
  .meta({ id: 'Seller' });

export const createdSeller = z.object({ seller_id: uuid }).meta({ id: 'CreatedSeller' });

export const productBody = z
  .strictObject({
    title: z.string().trim().min(1).max(200).meta({ example: 'Creme de pentear' }),
    price: z
      .number()
      .int()
      .positive()
      .max(1_000_000_000)
      .meta({ description: 'Minor units', example: 2990 }),
    seller_id: uuid,
    stock: z
      .number()
      .int()
      .min(0)
      .max(1_000_000_000)
      .nullable()
      .optional()
      .meta({ description: 'Units available; null or absent means unlimited' }),
  })
  .meta({ id: 'CreateProductRequest' });

export const productResponse = z
  .object({
    product_id: uuid,
    title: z.string(),
    price: money,
    currency: z.string().meta({ example: 'BRL' }),
    stock: z.number().int().nullable(),
    seller: z.object({ seller_id: uuid, name: z.string() }),
  })
  .meta({ id: 'Product' });

export const createdProduct = z.object({ product_id: uuid }).meta({ id: 'CreatedProduct' });

// --- purchases

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

export const idempotencyKeyHeader = z.string().min(1).max(255).optional();

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
