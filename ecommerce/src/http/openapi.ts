import {
  bearerSecurity,
  jsonResponse,
  generateOpenApiDocument,
  problemResponse,
} from '@marketplace/common';
import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  createdProduct,
  createdSeller,
  idempotencyKeyHeader,
  idParams,
  loginBody,
  pageQuery,
  productBody,
  productListQuery,
  productResponse,
  purchaseBody,
  purchaseResponse,
  registerBody,
  registerResponse,
  sellerBody,
  sellerResponse,
  tokenResponse,
} from './schemas';

const totalCount = {
  'X-Total-Count': { description: 'Rows in the whole list', schema: { type: 'integer' as const } },
};

/** The OpenAPI 3 document, generated from the schemas the routes validate with. */
export function buildOpenApiDocument() {
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
        200: jsonResponse(tokenResponse, 'A token'),
        400: problemResponse('Missing fields'),
        401: problemResponse('Bad credentials'),
        429: problemResponse('Too many failed attempts for this IP and username'),
      },
    },
    {
      method: 'post',
      path: '/refresh-token',
      tags: ['accounts'],
      summary: 'Exchange a still-valid token for a fresh one',
      security: bearerSecurity,
      responses: {
        200: jsonResponse(tokenResponse, 'A fresh token'),
        401: problemResponse('No valid token'),
      },
    },
    {
      method: 'post',
      path: '/user',
      tags: ['accounts'],
      summary: 'Register a customer',
      request: { body: { content: { 'application/json': { schema: registerBody } } } },
      responses: {
        201: jsonResponse(registerResponse, 'Registered'),
        400: problemResponse('Invalid fields'),
        409: problemResponse('Username or email taken'),
      },
    },
    {
      method: 'get',
      path: '/seller',
      tags: ['catalogue'],
      summary: 'List sellers',
      request: { query: pageQuery },
      responses: {
        200: { ...jsonResponse(sellerResponse.array(), 'Sellers'), headers: totalCount },
      },
    },
    {
      method: 'get',
      path: '/seller/{id}',
      tags: ['catalogue'],
      summary: 'One seller',
      request: { params: idParams },
      responses: {
        200: jsonResponse(sellerResponse, 'The seller'),
        400: problemResponse('Not a UUID'),
        404: problemResponse('Unknown seller'),
      },
    },
    {
      method: 'post',
      path: '/seller',
      tags: ['catalogue'],
      summary: 'Create a seller (admin); the owner, if given, becomes its user',
      security: bearerSecurity,
      request: { body: { content: { 'application/json': { schema: sellerBody } } } },
      responses: {
        201: jsonResponse(createdSeller, 'Created'),
        400: problemResponse('Invalid fields'),
        401: problemResponse('No valid token'),
        403: problemResponse('Not an admin'),
        409: problemResponse('The owner already has a seller or is an admin'),
        422: problemResponse('Unknown owner'),
      },
    },
    {
      method: 'get',
      path: '/products',
      tags: ['catalogue'],
      summary: 'List products',
      request: { query: productListQuery },
      responses: {
        200: { ...jsonResponse(productResponse.array(), 'Products'), headers: totalCount },
        400: problemResponse('Invalid query'),
      },
    },
    {
      method: 'get',
      path: '/products/{id}',
      tags: ['catalogue'],
      summary: 'One product',
      request: { params: idParams },
      responses: {
        200: jsonResponse(productResponse, 'The product'),
        400: problemResponse('Not a UUID'),
        404: problemResponse('Unknown product'),
      },
    },
    {
      method: 'post',
      path: '/products',
      tags: ['catalogue'],
      summary: "Add a product (admin, or the seller's own user)",
      security: bearerSecurity,
      request: { body: { content: { 'application/json': { schema: productBody } } } },
      responses: {
        201: jsonResponse(createdProduct, 'Created'),
        400: problemResponse('Invalid fields'),
        401: problemResponse('No valid token'),
        403: problemResponse('Neither admin nor that seller'),
        422: problemResponse('Unknown seller'),
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
      security: bearerSecurity,
      request: {
        headers: z.object({
          'Idempotency-Key': idempotencyKeyHeader.meta({
            description: 'The same key from the same user returns the first result',
          }),
        }),
        body: { content: { 'application/json': { schema: purchaseBody } } },
      },
      responses: {
        201: jsonResponse(purchaseResponse, 'Placed (or replayed for a repeated Idempotency-Key)'),
        400: problemResponse('Invalid body or card'),
        401: problemResponse('No valid token'),
        409: problemResponse('Not enough stock'),
        413: problemResponse('Body over 100 kB'),
        422: problemResponse('Unknown products, or Idempotency-Key reused with another body'),
      },
    },
    {
      method: 'get',
      path: '/purchase',
      tags: ['purchases'],
      summary: "The caller's purchases, newest first",
      security: bearerSecurity,
      request: { query: pageQuery },
      responses: {
        200: { ...jsonResponse(purchaseResponse.array(), 'Purchases'), headers: totalCount },
        401: problemResponse('No valid token'),
      },
    },
    {
      method: 'get',
      path: '/purchase/history',
      tags: ['purchases'],
      summary: 'Same as GET /purchase',
      security: bearerSecurity,
      request: { query: pageQuery },
      responses: {
        200: { ...jsonResponse(purchaseResponse.array(), 'Purchases'), headers: totalCount },
        401: problemResponse('No valid token'),
      },
    },
    {
      method: 'get',
      path: '/purchase/{id}',
      tags: ['purchases'],
      summary: 'One purchase (its buyer or an admin)',
      security: bearerSecurity,
      request: { params: idParams },
      responses: {
        200: jsonResponse(purchaseResponse, 'The purchase'),
        400: problemResponse('Not a UUID'),
        401: problemResponse('No valid token'),
        403: problemResponse('Not the buyer'),
        404: problemResponse('Unknown purchase'),
      },
    },
    {
      method: 'post',
      path: '/purchase/{id}/cancel',
      tags: ['purchases'],
      summary: 'Cancel a placed purchase: stock goes back, order_cancelled is published',
      security: bearerSecurity,
      request: { params: idParams },
      responses: {
        200: jsonResponse(purchaseResponse, 'Cancelled'),
        401: problemResponse('No valid token'),
        403: problemResponse('Not the buyer'),
        404: problemResponse('Unknown purchase'),
        409: problemResponse('Already cancelled'),
      },
    },
  ];
  return generateOpenApiDocument({
    title: 'ecommerce',
    description:
      'Accounts, catalogue and purchases. Money is an integer in minor units; errors are application/problem+json.',
    bearerDescription: 'RS256 token from POST /login. The scheme `JWT <token>` is accepted too.',
    readyChecks: 'PostgreSQL and SNS',
    paths,
  });
}
