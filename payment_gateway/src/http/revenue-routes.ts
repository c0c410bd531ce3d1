import { listHeaders, reply, route, streamRoute } from '@marketplace/common';
import type { RouteTable } from '@marketplace/common';
import { z } from 'zod';
import { encodeCursor } from '../data/ledger-repository';
import type { LedgerUseCases, Revenue } from '../domain/ledger-use-cases';
import type { LedgerFeed } from '../messaging/ledger-feed';
import { entryJson } from './presenters';
import { revenueStream } from './revenue-stream';
import type { StreamOptions } from './revenue-stream';
import {
  dailyQuery,
  dailyResponse,
  entriesQuery,
  entryResponse,
  lastEventIdHeader,
  rangeQuery,
  revenueResponse,
  sellerParams,
} from './revenue-schemas';

const revenueJson = (revenue: Revenue): z.infer<typeof revenueResponse> => ({
  seller_id: revenue.sellerId,
  total_received: revenue.totalReceived,
  currency: revenue.currency,
  purchases_count: revenue.purchasesCount,
});

const entriesHeaders = listHeaders.extend({
  Link: z
    .string()
    .optional()
    .meta({ description: 'While more lines follow: `<next page URL>; rel="next"` (by cursor)' }),
});

export function revenueRoutes(
  ledger: LedgerUseCases,
  feed: LedgerFeed,
  streamOptions?: StreamOptions,
): RouteTable {
  return {
    tags: ['revenue'],
    failures: {
      400: 'seller_id is not a UUID, the dates or the cursor are malformed',
      403: 'Neither an admin nor that seller',
      503: 'The database cannot be reached',
    },
    routes: [
      route({
        method: 'get',
        path: '/revenue/:seller_id',
        summary: "A seller's revenue (admin, or that seller's user)",
        description: 'Unknown sellers have zero revenue. Cancellations are booked negative.',
        auth: 'token',
        request: { params: sellerParams, query: rangeQuery },
        responses: { 200: { description: 'Totals', schema: revenueResponse } },
        handler: async ({ params, query, principal }) =>
          reply(200, revenueJson(await ledger.revenue(principal, params.seller_id, query))),
      }),
      route({
        method: 'get',
        path: '/revenue/:seller_id/entries',
        summary: 'Ledger lines, newest first, paginated (X-Total-Count)',
        description:
          'Pages by `cursor`: while more lines follow, the response has a ' +
          '`Link: </revenue/{seller_id}/entries?...&cursor=...>; rel="next"` header (the same ' +
          'query, next page). `offset` still works but reads every line it skips: use the ' +
          'cursor for deep pages. Order: newest purchase first, stable (ties by booking).',
        auth: 'token',
        request: { params: sellerParams, query: entriesQuery },
        responses: {
          200: {
            description: 'Ledger lines',
            schema: entryResponse.array(),
            headers: entriesHeaders,
          },
        },
        handler: async ({ params, query: { from, to, ...pageQuery }, principal, req }) => {
          const page = await ledger.entries(principal, params.seller_id, { from, to }, pageQuery);
          const last = page.items.at(-1);
          let link: string | undefined;
          if (page.more && last) {
            // The same request after this page's last line (an offset page continues by cursor too).
            const next = new URL(req.originalUrl, 'http://host');
            next.searchParams.delete('offset');
            next.searchParams.set('cursor', encodeCursor(last.id));
            link = `<${next.pathname}${next.search}>; rel="next"`;
          }
          return reply(200, page.items.map(entryJson), {
            'X-Total-Count': page.total,
            Link: link,
          });
        },
      }),
      route({
        method: 'get',
        path: '/revenue/:seller_id/daily',
        summary: 'Revenue per day of purchase (UTC), for charts',
        description: 'Days without sales are left out. The last 30 days by default; at most 366.',
        auth: 'token',
        request: { params: sellerParams, query: dailyQuery },
        responses: { 200: { description: 'Totals per day', schema: dailyResponse } },
        handler: async ({ params, query, principal }) => {
          const daily = await ledger.daily(principal, params.seller_id, query);
          return reply(200, { seller_id: params.seller_id, ...query, ...daily });
        },
      }),
      streamRoute(
        {
          method: 'get',
          path: '/revenue/:seller_id/stream',
          summary: "Live: the seller's ledger lines as they are booked (server-sent events)",
          description:
            'Each line is `event: entry`, `id: <booking number>`, `data: <the line as ' +
            '/entries shows it>`. Send `Last-Event-ID` to resume: the lines booked after it ' +
            'come first. Lines may repeat (drop them by `entry_id`), never go missing. ' +
            '`event: expired` when the token expires, `event: closing` when the service ' +
            'stops; a comment every 15 s keeps the connection open.',
          auth: 'token',
          request: {
            params: sellerParams,
            headers: z.object({ 'Last-Event-ID': lastEventIdHeader }),
          },
          responses: {
            200: {
              description: 'The stream (stays open)',
              schema: z.string(),
              contentType: 'text/event-stream',
            },
          },
        },
        revenueStream(ledger, feed, streamOptions),
      ),
    ],
  };
}
