import type { Migration } from '@marketplace/common';
import { initialSchema } from './0001-initial-schema';

/** Every migration, in the order it is applied. */
export const migrations: Migration[] = [initialSchema];
