import { OpenAPIRegistry, OpenApiGeneratorV3 } from '@asteasolutions/zod-to-openapi';
import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  entryResponse,
  problemResponse,
  rangeQuery,
  readinessResponse,
  revenueResponse,
  sellerParams,
} from './schemas';

const json = (schema: z.ZodType, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problemResponse } },
});
const bearer = [{ bearerAuth: [] }];
const authFailures = {
  400: problem('seller_id is not a UUID, or the dates are malformed'),
  401: problem('No valid token'),
  403: problem('Neither an admin nor that seller'),
};

/** The OpenAPI 3 document, generated from the schemas the routes validate with. */
export function buildOpenApiDocument() {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'RS256 token from ecommerce POST /login, verified here with the public key.',
  });
  const paths: RouteConfig[] = [
    {
      method: 'get',
      path: '/revenue/{seller_id}',
      tags: ['revenue'],
      summary: "A seller's revenue (admin, or that seller's user)",
      description: 'Unknown sellers have zero revenue. Cancellations are booked negative.',
      security: bearer,
      request: { params: sellerParams, query: rangeQuery },
      responses: { 200: json(revenueResponse, 'Totals'), ...authFailures },
    },
    {
      method: 'get',
      path: '/revenue/{seller_id}/entries',
      tags: ['revenue'],
      summary: 'Ledger lines, newest first, paginated (X-Total-Count)',
      security: bearer,
      request: {
        params: sellerParams,
        query: z.object({
          from: z.string().optional(),
          to: z.string().optional(),
          limit: z.number().int().min(1).max(200).optional(),
          offset: z.number().int().min(0).optional(),
        }),
      },
      responses: { 200: json(entryResponse.array(), 'Ledger lines'), ...authFailures },
    },
    {
      method: 'get',
      path: '/health',
      tags: ['operations'],
      summary: 'Liveness',
      responses: { 200: json(z.object({ status: z.string() }), 'Alive') },
    },
    {
      method: 'get',
      path: '/ready',
      tags: ['operations'],
      summary: 'Readiness: PostgreSQL, Redis and SQS reachable',
      responses: {
        200: json(readinessResponse, 'Ready'),
        503: json(readinessResponse, 'A dependency is failing'),
      },
    },
    {
      method: 'get',
      path: '/metrics',
      tags: ['operations'],
      summary: 'Prometheus metrics: booked, duplicates, invalid, DLQ depth, oldest message age',
      responses: {
        200: {
          description: 'Prometheus text format',
          content: { 'text/plain': { schema: { type: 'string' } } },
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
      security: bearer,
      responses: {
        200: {
          description: 'bull-board UI',
          content: { 'text/html': { schema: { type: 'string' } } },
        },
        401: problem('No valid token'),
        403: problem('Not an admin'),
      },
    },
  ];
  for (const path of paths) registry.registerPath(path);
  return new OpenApiGeneratorV3(registry.definitions).generateDocument({
    openapi: '3.0.3',
    info: {
      title: 'payment_gateway',
      version: '1.0.0',
      description:
        'Seller revenue booked exactly once from purchase events. Money is in minor units.',
    },
    servers: [{ url: '/' }],
  });
}
