import { z } from 'zod';
import { uuid } from './schemas';

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
