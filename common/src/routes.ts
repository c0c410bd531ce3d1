import type { Span } from '@opentelemetry/api';
import { Router } from 'express';
import type { Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import { requireRole } from './auth-token';
import type { Principal, Role } from './auth-token';
import { parseInput } from './http';
import { requestSpan } from './request-tracing';

/**
 * One route table per resource: each row says what a route takes, answers and does, and both
 * the Express routes (`mountRoutes`) and the OpenAPI document (`generateOpenApiDocument`) are
 * made from it, so nothing about a route is written twice.
 */

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** A response a route sends: the schema of its body, its content type and its headers. */
export interface ResponseSpec {
  description: string;
  schema: z.ZodType;
  /** application/json unless said. */
  contentType?: string;
  headers?: z.ZodObject;
}

export type Responses = Record<number, ResponseSpec>;

/** problem+json failures a route answers with, described by status. */
export type Failures = Partial<Record<number, string>>;

/** Any valid bearer token, or one whose role is among these. */
export type Auth = 'token' | { roles: Role[] };

/** Path and query parameters: an object, perhaps transformed after validation. */
export type ParameterSchema = z.ZodObject | z.ZodPipe<z.ZodObject>;

/** What a route validates, part by part: a failure is a 400 naming every bad field. */
export interface RequestSpec {
  params?: ParameterSchema;
  query?: ParameterSchema;
  /** Each header is read and validated on its own, under the name it is sent with. */
  headers?: z.ZodObject;
  body?: z.ZodType;
  /** application/json unless said. */
  bodyTypes?: string[];
}

/** A route as the document and the router see it: everything but the typed handler. */
export interface RouteSpec {
  method: Method;
  /** Express syntax (`/seller/:id`). */
  path: string;
  summary: string;
  description?: string;
  auth?: Auth;
  request?: RequestSpec;
  /** What the handler may answer (a 2xx, or /ready's 503). */
  responses: Responses;
  /** Failures beyond those the table implies (400 for a bad input, 401 without a token...). */
  failures?: Failures;
  /** Runs before authentication and validation (a rate limiter). */
  middleware?: RequestHandler[];
}

type Parsed<S> = S extends z.ZodType ? z.infer<S> : undefined;

export type HandlerInput<P, Q, H, B, A> = {
  params: Parsed<P>;
  query: Parsed<Q>;
  headers: Parsed<H>;
  body: Parsed<B>;
  req: Request;
  /** The request's SERVER span: name what the request did on it, pass it to what it starts. */
  span: Span;
} & (A extends Auth ? { principal: Principal } : unknown);

/** One of the declared responses, its body and headers typed by their schemas. */
export type Reply<R extends Responses> = {
  [S in keyof R & number]: { status: S; body: z.infer<R[S]['schema']> } & (R[S] extends {
    headers: infer H extends z.ZodObject;
  }
    ? { headers: z.input<H> }
    : { headers?: never });
}[keyof R & number];

export interface RouteDefinition<
  P extends ParameterSchema | undefined,
  Q extends ParameterSchema | undefined,
  H extends z.ZodObject | undefined,
  B extends z.ZodType | undefined,
  R extends Responses,
  A extends Auth | undefined,
> extends RouteSpec {
  auth?: A;
  request?: { params?: P; query?: Q; headers?: H; body?: B; bodyTypes?: string[] };
  responses: R;
  /** Returns `reply(status, body, headers?)`. */
  handler: (input: HandlerInput<P, Q, H, B, A>) => Reply<R> | Promise<Reply<R>>;
}

/**
 * A handler's answer. A function rather than an object literal so that the status stays a
 * literal type, which picks the declared response its body and headers are checked against.
 */
export function reply<S extends number, B>(status: S, body: B): { status: S; body: B };
export function reply<S extends number, B, H>(
  status: S,
  body: B,
  headers: H,
): { status: S; body: B; headers: H };
export function reply(status: number, body: unknown, headers?: unknown) {
  return headers === undefined ? { status, body } : { status, body, headers };
}

/** A row of a route table, its types erased so that rows of different shapes share a list. */
export interface Route {
  readonly spec: RouteSpec;
  readonly handle: RequestHandler;
  /** `subtree`: a handler that serves the path and everything under it (a dashboard's assets). */
  readonly serves: 'path' | 'subtree';
}

export interface RouteTable {
  tags: string[];
  routes: Route[];
  /** Failures every route of the table may answer with (503 while its database is down). */
  failures?: Failures;
  /** How this table's routes with `auth` authenticate, if not by the Authorization header. */
  authenticate?: RequestHandler;
}

/**
 * A typed route: the handler gets the validated parts (and the principal, when `auth` is set)
 * and returns one of the declared responses, whose body and headers the compiler checks.
 */
export function route<
  R extends Responses,
  P extends ParameterSchema | undefined = undefined,
  Q extends ParameterSchema | undefined = undefined,
  H extends z.ZodObject | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  A extends Auth | undefined = undefined,
>(definition: RouteDefinition<P, Q, H, B, R, A>): Route {
  const { handler, ...spec } = definition;
  const { params, query, headers, body } = spec.request ?? {};
  return {
    spec,
    serves: 'path',
    handle: async (req, res) => {
      const input: Record<keyof HandlerInput<P, Q, H, B, Auth>, unknown> = {
        params: params && parseInput(params, req.params, 'path'),
        query: query && parseInput(query, req.query, 'query'),
        headers:
          headers &&
          Object.fromEntries(
            Object.entries(headers.shape).map(([name, schema]) => [
              name,
              parseInput(schema, req.get(name), 'header'),
            ]),
          ),
        body: body && parseInput(body, req.body, 'body'),
        principal: res.locals.principal as Principal | undefined,
        req,
        span: requestSpan(req),
      };
      // Each part is what its schema parsed, or undefined where the route declares none.
      send(res, spec.responses, await handler(input as HandlerInput<P, Q, H, B, A>));
    },
  };
}

/**
 * A route served by a handler that writes its own responses (bull-board's UI, its assets and
 * its API under the path): documented like the others, mounted with `use`.
 */
export function subtreeRoute(spec: RouteSpec, handle: RequestHandler): Route {
  return { spec, handle, serves: 'subtree' };
}

/**
 * A route whose handler writes its own response, and keeps writing (a server-sent events
 * stream): documented like the others, mounted on its path with its authentication; the handler
 * validates its own input.
 */
export function streamRoute(spec: RouteSpec, handle: RequestHandler): Route {
  return { spec, handle, serves: 'path' };
}

interface AnyReply {
  status: number;
  body: unknown;
  headers?: Record<string, unknown>;
}

function send(res: Response, responses: Responses, answer: AnyReply): void {
  const contentType = responses[answer.status]?.contentType;
  res.status(answer.status);
  for (const [name, value] of Object.entries(answer.headers ?? {})) {
    // Header schemas are numbers and strings; an optional one left undefined is not sent.
    if (typeof value === 'string' || typeof value === 'number') res.setHeader(name, value);
  }
  if (contentType === undefined) res.json(answer.body);
  else res.type(contentType).send(answer.body);
}

/**
 * The tables' routes on one router, in order: each route's middleware, then its
 * authentication (and role check), then validation and the handler.
 */
export function mountRoutes(tables: RouteTable[], authenticate: RequestHandler): Router {
  const router = Router();
  for (const table of tables) {
    for (const { spec, handle, serves } of table.routes) {
      const chain = [...(spec.middleware ?? [])];
      if (spec.auth) chain.push(table.authenticate ?? authenticate);
      if (spec.auth && spec.auth !== 'token') chain.push(requireRole(...spec.auth.roles));
      if (serves === 'subtree') router.use(spec.path, ...chain, handle);
      else router[spec.method](spec.path, ...chain, handle);
    }
  }
  return router;
}
