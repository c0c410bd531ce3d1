import { OpenAPIRegistry, OpenApiGeneratorV3 } from '@asteasolutions/zod-to-openapi';
import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  createdProduct,
  createdSeller,
  healthResponse,
  idempotencyKeyHeader,
  idParams,
  loginBody,
  pageQuery,
  problemResponse,
  productBody,
  productListQuery,
  productResponse,
  purchaseBody,
  purchaseResponse,
  readinessResponse,
  registerBody,
  registerResponse,
  sellerBody,
  sellerResponse,
  tokenResponse,
} from './schemas';

const json = (schema: z.ZodType, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problemResponse } },
});

const totalCount = {
  'X-Total-Count': { description: 'Rows in the whole list', schema: { type: 'integer' as const } },
};

const bearer = [{ bearerAuth: [] }];

/** The OpenAPI 3 document, generated from the schemas the routes validate with. */
export function buildOpenApiDocument() {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'RS256 token from POST /login. The scheme `JWT <token>` is accepted too.',
  });
  const paths: RouteConfig[] = [
    {
      method: 'post',
      path: '/login',
      tags: ['accounts'],
      summary: 'Log in and get a JWT',
      request: {
        body: {
          content: {
            'application/json': { schema: loginBody },
            'application/x-www-form-urlencoded': { schema: loginBody },
          },
        },
      },
      responses: {
        200: json(tokenResponse, 'A token'),
        400: problem('Missing fields'),
        401: problem('Bad credentials'),
        429: problem('Too many failed attempts for this IP and username'),
      },
    },
    {
      method: 'post',
      path: '/refresh-token',
      tags: ['accounts'],
      summary: 'Exchange a still-valid token for a fresh one',
      security: bearer,
      responses: { 200: json(tokenResponse, 'A fresh token'), 401: problem('No valid token') },
    },
    {
      method: 'post',
      path: '/user',
      tags: ['accounts'],
      summary: 'Register a customer',
      request: { body: { content: { 'application/json': { schema: registerBody } } } },
      responses: {
        201: json(registerResponse, 'Registered'),
        400: problem('Invalid fields'),
        409: problem('Username or email taken'),
      },
    },
    {
      method: 'get',
      path: '/seller',
      tags: ['catalogue'],
      summary: 'List sellers',
      request: { query: pageQuery },
      responses: { 200: { ...json(sellerResponse.array(), 'Sellers'), headers: totalCount } },
    },
    {
      method: 'get',
      path: '/seller/{id}',
      tags: ['catalogue'],
      summary: 'One seller',
      request: { params: idParams },
      responses: {
        200: json(sellerResponse, 'The seller'),
        400: problem('Not a UUID'),
        404: problem('Unknown seller'),
      },
    },
    {
      method: 'post',
      path: '/seller',
      tags: ['catalogue'],
      summary: 'Create a seller (admin); the owner, if given, becomes its user',
      security: bearer,
      request: { body: { content: { 'application/json': { schema: sellerBody } } } },
      responses: {
        201: json(createdSeller, 'Created'),
        400: problem('Invalid fields'),
        401: problem('No valid token'),
        403: problem('Not an admin'),
        409: problem('The owner already has a seller or is an admin'),
        422: problem('Unknown owner'),
      },
    },
    {
      method: 'get',
      path: '/products',
      tags: ['catalogue'],
      summary: 'List products',
      request: { query: productListQuery },
      responses: {
        200: { ...json(productResponse.array(), 'Products'), headers: totalCount },
        400: problem('Invalid query'),
      },
    },
    {
      method: 'get',
      path: '/products/{id}',
      tags: ['catalogue'],
      summary: 'One product',
      request: { params: idParams },
      responses: {
        200: json(productResponse, 'The product'),
        400: problem('Not a UUID'),
        404: problem('Unknown product'),
      },
    },
    {
      method: 'post',
      path: '/products',
      tags: ['catalogue'],
      summary: "Add a product (admin, or the seller's own user)",
      security: bearer,
      request: { body: { content: { 'application/json': { schema: productBody } } } },
      responses: {
        201: json(createdProduct, 'Created'),
        400: problem('Invalid fields'),
        401: problem('No valid token'),
        403: problem('Neither admin nor that seller'),
        422: problem('Unknown seller'),
      },
    },
    {
      method: 'post',
      path: '/purchase',
      tags: ['purchases'],
      summary: 'Buy products',
      description:
        'Several products with quantities (the same product twice is merged). Stock is reserved atomically. ' +
        'Send an Idempotency-Key header to make retries safe.',
      security: bearer,
      request: {
        headers: z.object({
          'Idempotency-Key': idempotencyKeyHeader.meta({
            description: 'The same key from the same user returns the first result',
          }),
        }),
        body: { content: { 'application/json': { schema: purchaseBody } } },
      },
      responses: {
        201: json(purchaseResponse, 'Placed (or replayed for a repeated Idempotency-Key)'),
        400: problem('Invalid body or card'),
        401: problem('No valid token'),
        409: problem('Not enough stock'),
        413: problem('Body over 100 kB'),
        422: problem('Unknown products, or Idempotency-Key reused with another body'),
      },
    },
    {
      method: 'get',
      path: '/purchase',
      tags: ['purchases'],
      summary: "The caller's purchases, newest first",
      security: bearer,
      request: { query: pageQuery },
      responses: {
        200: { ...json(purchaseResponse.array(), 'Purchases'), headers: totalCount },
        401: problem('No valid token'),
      },
    },
    {
      method: 'get',
      path: '/purchase/history',
      tags: ['purchases'],
      summary: 'Same as GET /purchase',
      security: bearer,
      request: { query: pageQuery },
      responses: {
        200: { ...json(purchaseResponse.array(), 'Purchases'), headers: totalCount },
        401: problem('No valid token'),
      },
    },
    {
      method: 'get',
      path: '/purchase/{id}',
      tags: ['purchases'],
      summary: 'One purchase (its buyer or an admin)',
      security: bearer,
      request: { params: idParams },
      responses: {
        200: json(purchaseResponse, 'The purchase'),
        400: problem('Not a UUID'),
        401: problem('No valid token'),
        403: problem('Not the buyer'),
        404: problem('Unknown purchase'),
      },
    },
    {
      method: 'post',
      path: '/purchase/{id}/cancel',
      tags: ['purchases'],
      summary: 'Cancel a placed purchase: stock goes back, order_cancelled is published',
      security: bearer,
      request: { params: idParams },
      responses: {
        200: json(purchaseResponse, 'Cancelled'),
        401: problem('No valid token'),
        403: problem('Not the buyer'),
        404: problem('Unknown purchase'),
        409: problem('Already cancelled'),
      },
    },
    {
      method: 'get',
      path: '/health',
      tags: ['operations'],
      summary: 'Liveness',
      responses: { 200: json(healthResponse, 'Alive') },
    },
    {
      method: 'get',
      path: '/ready',
      tags: ['operations'],
      summary: 'Readiness: PostgreSQL and SNS reachable',
      responses: {
        200: json(readinessResponse, 'Ready'),
        503: json(readinessResponse, 'A dependency is failing'),
      },
    },
    {
      method: 'get',
      path: '/metrics',
      tags: ['operations'],
      summary: 'Prometheus metrics',
      responses: {
        200: {
          description: 'Prometheus text format',
          content: { 'text/plain': { schema: { type: 'string' } } },
        },
      },
    },
  ];
  for (const path of paths) registry.registerPath(path);
  return new OpenApiGeneratorV3(registry.definitions).generateDocument({
    openapi: '3.0.3',
    info: {
      title: 'ecommerce',
      version: '1.0.0',
      description:
        'Accounts, catalogue and purchases. Money is an integer in minor units; errors are application/problem+json.',
    },
    servers: [{ url: '/' }],
  });
}
