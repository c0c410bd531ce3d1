import {
  bearerSecurity,
  jsonResponse,
  generateOpenApiDocument,
  problemResponse,
} from '@marketplace/common';
import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  dailyQuery,
  dailyResponse,
  entriesQueryShape,
  entryResponse,
  rangeQueryShape,
  revenueResponse,
  sellerParams,
} from './schemas';

const authFailures = {
  400: problemResponse('seller_id is not a UUID, the dates or the cursor are malformed'),
  401: problemResponse('No valid token'),
  403: problemResponse('Neither an admin nor that seller'),
};

/** The OpenAPI 3 document, generated from the schemas the routes validate with. */
export function buildOpenApiDocument() {
  const paths: RouteConfig[] = [
    {
      method: 'get',
      path: '/revenue/{seller_id}',
      tags: ['revenue'],
      summary: "A seller's revenue (admin, or that seller's user)",
      description: 'Unknown sellers have zero revenue. Cancellations are booked negative.',
      security: bearerSecurity,
      request: { params: sellerParams, query: rangeQueryShape },
      responses: { 200: jsonResponse(revenueResponse, 'Totals'), ...authFailures },
    },
    {
      method: 'get',
      path: '/revenue/{seller_id}/entries',
      tags: ['revenue'],
      summary: 'Ledger lines, newest first, paginated (X-Total-Count)',
      description:
        'Pages by `cursor`: while more lines follow, the response has a ' +
        '`Link: </revenue/{seller_id}/entries?...&cursor=...>; rel="next"` header (the same ' +
        'query, next page). `offset` still works but reads every line it skips: use the ' +
        'cursor for deep pages. Order: newest purchase first, stable (ties by booking).',
      security: bearerSecurity,
      request: {
        params: sellerParams,
        query: entriesQueryShape,
      },
      responses: {
        200: {
          ...jsonResponse(entryResponse.array(), 'Ledger lines'),
          headers: {
            'X-Total-Count': {
              description: 'Lines in the range (all pages)',
              schema: { type: 'integer' },
            },
            Link: {
              description: 'While more lines follow: `<next page URL>; rel="next"` (by cursor)',
              schema: { type: 'string' },
            },
          },
        },
        ...authFailures,
      },
    },
    {
      method: 'get',
      path: '/revenue/{seller_id}/daily',
      tags: ['revenue'],
      summary: 'Revenue per day of purchase (UTC), for charts',
      description: 'Days without sales are left out. The last 30 days by default; at most 366.',
      security: bearerSecurity,
      request: { params: sellerParams, query: dailyQuery.in },
      responses: { 200: jsonResponse(dailyResponse, 'Totals per day'), ...authFailures },
    },
    {
      method: 'get',
      path: '/revenue/{seller_id}/stream',
      tags: ['revenue'],
      summary: "Live: the seller's ledger lines as they are booked (server-sent events)",
      description:
        'Each line is `event: entry`, `id: <booking number>`, `data: <the line as /entries ' +
        'shows it>`. Send `Last-Event-ID` to resume: the lines booked after it come first. ' +
        'Lines may repeat (drop them by `entry_id`), never go missing. `event: expired` when ' +
        'the token expires, `event: closing` when the service stops; a comment every 15 s ' +
        'keeps the connection open.',
      security: bearerSecurity,
      request: {
        params: sellerParams,
        headers: z.object({
          'Last-Event-ID': z
            .string()
            .regex(/^\d{1,15}$/)
            .optional(),
        }),
      },
      responses: {
        200: {
          description: 'The stream (stays open)',
          content: { 'text/event-stream': { schema: { type: 'string' } } },
        },
        ...authFailures,
      },
    },
    {
      method: 'get',
      path: '/dashboard',
      tags: ['dashboard'],
      summary: 'The seller dashboard page (logs in at ecommerce /login from the browser)',
      responses: {
        200: {
          description: 'HTML page',
          content: { 'text/html': { schema: { type: 'string' } } },
        },
      },
    },
    {
      method: 'get',
      path: '/admin/queues',
      tags: ['operations'],
      summary: 'BullMQ dashboard (admin): the drain schedule and recent jobs',
      description:
        'Browsers may pass the token once as ?token=<jwt>; it is kept in an HttpOnly cookie.',
      security: bearerSecurity,
      responses: {
        200: {
          description: 'bull-board UI',
          content: { 'text/html': { schema: { type: 'string' } } },
        },
        401: problemResponse('No valid token'),
        403: problemResponse('Not an admin'),
      },
    },
  ];
  return generateOpenApiDocument({
    title: 'payment_gateway',
    description:
      'Seller revenue booked exactly once from purchase events. Money is in minor units.',
    bearerDescription: 'RS256 token from ecommerce POST /login, verified here with the public key.',
    readyChecks: 'PostgreSQL, Redis and SQS',
    paths,
  });
}
