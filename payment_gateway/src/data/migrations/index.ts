import type { Migration } from '@marketplace/common';
import { ledger } from './0001-ledger';

/** Every migration, in the order it is applied. */
export const migrations: Migration[] = [ledger];
