import type { Migration } from '@marketplace/common';
import { initialSchema } from './0001-initial-schema';
import { outboxTraceContext } from './0002-outbox-trace-context';

/** Every migration, in the order it is applied. */
export const migrations: Migration[] = [initialSchema, outboxTraceContext];
