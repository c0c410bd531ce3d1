import { OpenAPIRegistry, OpenApiGeneratorV3 } from '@asteasolutions/zod-to-openapi';
import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { errorCodes, problemType } from './app-error';

/** Pieces both services' OpenAPI documents share (plain objects and zod schemas). */

export const problemSchema = z
  .object({
    type: z.string().meta({
      description: 'urn:marketplace:problem:<code>',
      example: problemType('insufficient_stock'),
    }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().meta({ description: 'For people; clients branch on `code`' }),
    code: z.enum(errorCodes).meta({
      description:
        'What failed, stable across releases; README "Error codes" says when each is sent',
    }),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

export const readinessSchema = z.object({
  status: z.enum(['ready', 'unavailable']),
  checks: z.record(z.string(), z.enum(['ok', 'failing'])),
});

export const jsonResponse = (schema: z.ZodType, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

export const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problemSchema } },
});

export const bearerSecurity = [{ bearerAuth: [] }];

const bearerScheme = (description: string) => ({
  type: 'http' as const,
  scheme: 'bearer',
  bearerFormat: 'JWT',
  description,
});

/** /health, /ready and /metrics as every service serves them. */
function operationsPaths(readyChecks: string): RouteConfig[] {
  return [
    {
      method: 'get',
      path: '/health',
      tags: ['operations'],
      summary: 'Liveness',
      responses: { 200: jsonResponse(z.object({ status: z.string() }), 'Alive') },
    },
    {
      method: 'get',
      path: '/ready',
      tags: ['operations'],
      summary: `Readiness: ${readyChecks} reachable`,
      responses: {
        200: jsonResponse(readinessSchema, 'Ready'),
        503: jsonResponse(readinessSchema, 'A dependency is failing'),
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
}

/**
 * A service's OpenAPI 3 document: its own routes plus /health, /ready and /metrics, with the
 * bearer scheme its routes refer to.
 */
export function generateOpenApiDocument(options: {
  title: string;
  description: string;
  bearerDescription: string;
  readyChecks: string;
  paths: RouteConfig[];
}) {
  const registry = new OpenAPIRegistry();
  registry.registerComponent(
    'securitySchemes',
    'bearerAuth',
    bearerScheme(options.bearerDescription),
  );
  for (const path of [...options.paths, ...operationsPaths(options.readyChecks)]) {
    registry.registerPath(path);
  }
  return new OpenApiGeneratorV3(registry.definitions).generateDocument({
    openapi: '3.0.3',
    info: { title: options.title, version: '1.0.0', description: options.description },
    servers: [{ url: '/' }],
  });
}
