import { randomUUID } from 'node:crypto';

/** A value no other test will use: tests never depend on each other's rows. */
export const unique = (prefix: string) => `${prefix}_${randomUUID().slice(0, 8)}`;
