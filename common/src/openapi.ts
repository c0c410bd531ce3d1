import { OpenAPIRegistry, OpenApiGeneratorV3 } from '@asteasolutions/zod-to-openapi';
import type { ResponseConfig, RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { errorCodes, problemType } from './app-error';
import type { RouteSpec, RouteTable } from './routes';

/** The problem+json body of every failure, declared once: each failure response refers to it. */
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

/** The headers of a page of a list. */
export const listHeaders = z.object({
  'X-Total-Count': z.number().int().meta({ description: 'Rows in the whole list (all pages)' }),
});

/** The header of a 201. */
export const createdHeaders = z.object({
  Location: z.string().meta({ description: 'Where the new resource is read' }),
});

const retryAfter = z.object({
  'Retry-After': z.number().int().meta({ description: 'Seconds to wait before retrying' }),
});

/** Headers the error handler adds to some failures. */
const PROBLEM_HEADERS: Partial<Record<number, z.ZodObject>> = {
  401: z.object({ 'WWW-Authenticate': z.string().meta({ example: 'Bearer' }) }),
  429: retryAfter,
  503: retryAfter,
};

const problemResponse = (status: number, description: string): ResponseConfig => ({
  description,
  ...(PROBLEM_HEADERS[status] ? { headers: PROBLEM_HEADERS[status] } : {}),
  content: { 'application/problem+json': { schema: problemSchema } },
});

const JSON_TYPE = 'application/json';

/**
 * The failures a route answers with: those its table row implies (a 400 for each validated
 * part, 401 and 403 for `auth`, 413 for a body), its table's, its own, and the generic 500.
 */
function failuresOf(spec: RouteSpec, table: RouteTable): Record<number, string> {
  const { params, query, headers, body } = spec.request ?? {};
  const parts = [
    params && 'path',
    query && 'query',
    headers && `${Object.keys(headers.shape).join(', ')} header`,
    body && 'body',
  ].filter((part) => part !== undefined);
  const roles = spec.auth && spec.auth !== 'token' ? spec.auth.roles : undefined;
  const failures: Record<number, string | undefined> = {
    ...(parts.length > 0 ? { 400: `Invalid ${parts.join(' or ')}` } : {}),
    ...(spec.auth ? { 401: 'No valid token' } : {}),
    ...(roles ? { 403: `Not ${roles.join(' or ')}` } : {}),
    ...(body ? { 413: 'Body over 100 kB' } : {}),
    ...table.failures,
    ...spec.failures,
    500: 'Unexpected failure: a generic problem (the details are logged, not sent)',
  };
  return Object.fromEntries(
    Object.entries(failures).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

function routeConfig(spec: RouteSpec, table: RouteTable): RouteConfig {
  const { params, query, headers, body, bodyTypes = [JSON_TYPE] } = spec.request ?? {};
  const responses: Record<number, ResponseConfig> = {};
  for (const [status, response] of Object.entries(spec.responses)) {
    responses[Number(status)] = {
      description: response.description,
      ...(response.headers ? { headers: response.headers } : {}),
      content: { [response.contentType ?? JSON_TYPE]: { schema: response.schema } },
    };
  }
  for (const [status, description] of Object.entries(failuresOf(spec, table))) {
    responses[Number(status)] = problemResponse(Number(status), description);
  }
  return {
    method: spec.method,
    path: spec.path.replace(/:(\w+)/g, '{$1}'),
    tags: table.tags,
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    ...(spec.auth ? { security: [{ bearerAuth: [] }] } : {}),
    request: {
      ...(params ? { params } : {}),
      ...(query ? { query } : {}),
      ...(headers ? { headers } : {}),
      ...(body
        ? {
            body: {
              content: Object.fromEntries(bodyTypes.map((type) => [type, { schema: body }])),
            },
          }
        : {}),
    },
    responses,
  };
}

/** A service's OpenAPI 3 document, made from the route tables it mounts. */
export function generateOpenApiDocument(options: {
  title: string;
  description: string;
  bearerDescription: string;
  tables: RouteTable[];
}) {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: options.bearerDescription,
  });
  for (const table of options.tables) {
    for (const { spec } of table.routes) registry.registerPath(routeConfig(spec, table));
  }
  return new OpenApiGeneratorV3(registry.definitions).generateDocument({
    openapi: '3.0.3',
    info: { title: options.title, version: '1.0.0', description: options.description },
    servers: [{ url: '/' }],
  });
}
