import { z } from 'zod';

/**
 * The pieces every resource's schemas are made of. Routes validate with the schemas and the
 * OpenAPI document is generated from them, so the two cannot drift apart.
 */

// Ids are compared as text further in: an upper-case UUID is the same id, so lower-case it here.
export const uuid = z
  .uuid()
  .toLowerCase()
  .meta({ example: '66efcb62-7b50-41b9-a3ca-7a6382eba6e8' });
export const money = z
  .number()
  .int()
  .meta({ description: 'Minor units: 2990 is 29.90', example: 2990 });
export const timestamp = z.iso.datetime().meta({ example: '2026-11-22T14:00:00.000Z' });

export const idParams = z.object({ id: uuid });

export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});
