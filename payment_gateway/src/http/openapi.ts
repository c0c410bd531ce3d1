import {
  bearerSecurity,
  jsonResponse,
  generateOpenApiDocument,
  problemResponse,
} from '@marketplace/common';
import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import {
  entriesQueryShape,
  entryResponse,
  rangeQueryShape,
  revenueResponse,
  sellerParams,
} from './schemas';

const authFailures = {
  400: problemResponse('seller_id is not a UUID, or the dates are malformed'),
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
      security: bearerSecurity,
      request: {
        params: sellerParams,
        query: entriesQueryShape,
      },
      responses: { 200: jsonResponse(entryResponse.array(), 'Ledger lines'), ...authFailures },
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
