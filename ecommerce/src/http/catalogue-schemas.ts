import { z } from 'zod';
import { money, pageQuery, timestamp, uuid } from './schemas';

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

export const productListQuery = pageQuery.extend({ seller_id: uuid.optional() });

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
