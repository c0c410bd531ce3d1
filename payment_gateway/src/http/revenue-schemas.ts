import { z } from 'zod';
import { decodeCursor } from '../data/ledger-repository';

/** Request and response shapes: routes validate with these, OpenAPI is generated from them. */

// Ids are compared as text further in: an upper-case UUID is the same id, so lower-case it here.
const uuid = z.uuid().toLowerCase().meta({ example: '72443a08-f340-4cdd-99f5-aa1de7b0455f' });
const money = z.number().int().meta({ description: 'Minor units: 2990 is 29.90', example: 2990 });

export const sellerParams = z.object({ seller_id: uuid });

/** `YYYY-MM-DD` (a whole day) or a full ISO-8601 date-time. */
const dateOrDateTime = z.union([z.iso.date(), z.iso.datetime({ offset: true })]);

const rangeFields = {
  from: dateOrDateTime.optional().meta({
    description: 'Purchases on or after this date (YYYY-MM-DD) or instant',
    example: '2026-11-01',
  }),
  to: dateOrDateTime.optional().meta({
    description: 'Purchases up to this date, inclusive (YYYY-MM-DD), or before this instant',
    example: '2026-11-30',
  }),
};

const pageFields = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0).meta({
    description: 'Lines to skip; slow on deep pages: follow `cursor` (the Link header) instead',
  }),
  cursor: z
    .string()
    .optional()
    .refine((cursor) => cursor === undefined || decodeCursor(cursor) !== undefined, {
      message: 'not a cursor this service gave out',
    })
    .meta({
      description:
        'Opaque: the page after the one whose `Link: <...>; rel="next"` header gave it. ' +
        'Not combined with `offset`.',
    }),
};

function toRange({ from, to }: { from?: string | undefined; to?: string | undefined }) {
  return {
    from: from === undefined ? undefined : new Date(from),
    // A date names a whole day: include it by stopping at the next midnight (UTC).
    to:
      to === undefined
        ? undefined
        : to.length === 10
          ? new Date(Date.parse(to) + 24 * 3600 * 1000)
          : new Date(to),
  };
}

const ordered = (r: { from?: Date | undefined; to?: Date | undefined }) =>
  !r.from || !r.to || r.from < r.to;
const orderMessage = { message: '`from` must be before `to`', path: ['from'] };

export const rangeQuery = z.object(rangeFields).transform(toRange).refine(ordered, orderMessage);

export const entriesQuery = z
  .object({ ...rangeFields, ...pageFields })
  .refine((q) => q.cursor === undefined || q.offset === 0, {
    message: '`offset` and `cursor` cannot be combined',
    path: ['offset'],
  })
  .transform(({ limit, offset, cursor, ...range }) => ({
    limit,
    offset,
    after: cursor === undefined ? undefined : decodeCursor(cursor),
    ...toRange(range),
  }))
  .refine(ordered, orderMessage);

export const revenueResponse = z
  .object({
    seller_id: uuid,
    total_received: money,
    currency: z.string().meta({ example: 'BRL' }),
    purchases_count: z.number().int().meta({ description: 'Purchases placed minus cancelled' }),
  })
  .meta({ id: 'Revenue' });

export const entryResponse = z
  .object({
    entry_id: uuid,
    purchase_id: uuid,
    event_id: uuid,
    event_type: z.enum(['order_placed', 'order_cancelled']),
    amount: money.meta({ description: 'Minor units; negative for a cancellation' }),
    currency: z.string(),
    purchase_date: z.iso.datetime(),
    booked_at: z.iso.datetime(),
  })
  .meta({ id: 'LedgerEntry' });

const DAY_MS = 24 * 3600 * 1000;
const MAX_DAYS = 366;
const today = () => new Date().toISOString().slice(0, 10);
const daysBefore = (day: string, days: number) =>
  new Date(Date.parse(day) - days * DAY_MS).toISOString().slice(0, 10);

/** Whole days, both ends included; the last 30 days by default. */
export const dailyQuery = z
  .object({
    from: z.iso
      .date()
      .optional()
      .meta({ description: 'First day (YYYY-MM-DD)', example: '2026-11-01' }),
    to: z.iso.date().optional().meta({
      description: 'Last day, inclusive (YYYY-MM-DD); today by default',
      example: '2026-11-30',
    }),
  })
  .transform(({ from, to }) => {
    const last = to ?? today();
    return { from: from ?? daysBefore(last, 29), to: last };
  })
  .refine((days) => days.from <= days.to, orderMessage)
  .refine((days) => (Date.parse(days.to) - Date.parse(days.from)) / DAY_MS < MAX_DAYS, {
    message: `at most ${MAX_DAYS} days`,
    path: ['from'],
  });

export const dailyResponse = z
  .object({
    seller_id: uuid,
    currency: z.string().meta({ example: 'BRL' }),
    from: z.iso.date(),
    to: z.iso.date(),
    days: z.array(
      z.object({
        day: z.iso.date(),
        total: money.meta({ description: 'Net revenue of purchases made that day (UTC)' }),
        purchases: z.number().int().meta({ description: 'Placed minus cancelled' }),
      }),
    ),
  })
  .meta({ id: 'DailyRevenue' });

/** The last `id:` a stream reader received (sent back by EventSource when it reconnects). */
export const lastEventIdHeader = z
  .string()
  .regex(/^\d{1,15}$/, 'a line number this stream sent')
  .transform(Number)
  .optional();
