import { AppError } from '@marketplace/common';
import type { z } from 'zod';

/** Parses one part of a request; a failure is a 400 naming every bad field. */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  part: string,
): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = result.error.issues.map((issue) => ({
    path: issue.path.length > 0 ? issue.path.map(String).join('.') : part,
    message: issue.message,
  }));
  throw new AppError(
    'validation',
    `The request ${part} is invalid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}.`,
    errors,
  );
}
