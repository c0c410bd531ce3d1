import { randomUUID } from 'node:crypto';
import cors from 'cors';
import express from 'express';
import type { ErrorRequestHandler, Express, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
// Re-exported so every consumer compiles with pino-http's `req.log` / `req.id` on requests.
export type { HttpLogger } from 'pino-http';
import helmet from 'helmet';
import type { Histogram } from 'prom-client';
import { z } from 'zod';
import { AppError, toProblem } from './app-error';
import type { ErrorCode, FieldError } from './app-error';
import type { TrustProxy } from './config';
import { serializeError } from './logger';
import { PROBE_PATHS, requestLogFields, requestSpan, traceRequests } from './request-tracing';
import { recordFailure, tracingEnabled } from './tracing';

/** Express plumbing both services share, so their errors, logs and metrics look the same. */

export const notFound: RequestHandler = (req) => {
  throw new AppError('route_not_found', `No route for ${req.method} ${req.path}.`);
};

/**
 * Every error leaves as application/problem+json. Request errors are the caller's and are not
 * logged as failures; anything unexpected is a generic 500 whose request log line (one, see
 * requestLogging) carries the error and its stack. The request's span names the problem's code
 * (`error.type`), or records the unexpected error.
 */
export const problemHandler: ErrorRequestHandler = (error, req, res, next) => {
  if (res.headersSent) {
    next(error);
    return;
  }
  const { problem, unexpected, retryAfterSeconds } = toProblem(error);
  if (unexpected) {
    res.err = error instanceof Error ? error : new Error(String(error));
    recordFailure(requestSpan(req), error);
  } else {
    requestSpan(req).setAttribute('error.type', problem.code);
  }
  if (problem.status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
  if (retryAfterSeconds !== undefined || problem.status === 503) {
    res.setHeader('Retry-After', String(retryAfterSeconds ?? 1));
  }
  res.status(problem.status).type('application/problem+json').json(problem);
};

/**
 * A code more precise than `validation_failed` for a schema's failures that all lie inside one
 * of its fields: `.register(fieldProblemCodes, { credit_card: 'invalid_card' })`. Declared with
 * the schema, so wherever it validates a request the answer carries the same code.
 */
export const fieldProblemCodes = z.registry<Record<string, ErrorCode>>();

function validationCode(schema: z.ZodType, errors: FieldError[]): ErrorCode {
  const byField = fieldProblemCodes.get(schema) ?? {};
  const field = Object.keys(byField).find((name) =>
    errors.every((error) => error.path.startsWith(`${name}.`)),
  );
  return field === undefined ? 'validation_failed' : byField[field]!;
}

/** Parses one part of a request; a failure is a 400 naming every bad field. */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  part: string,
): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = result.error.issues.map((issue) => ({
    path: issue.path.length > 0 ? issue.path.map(String).join('.') : part,
    message: issue.message,
  }));
  throw new AppError(
    validationCode(schema, errors),
    `The request ${part} is invalid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}.`,
    errors,
  );
}

/** pino-http's request line with the request's trace ids (when traced). */
function withRequestLogFields(req: express.Request, _res: express.Response, fields: object) {
  return { ...fields, ...requestLogFields(req) };
}

/**
 * One JSON log line per request, carrying a request id: the caller's X-Request-Id when it
 * looks sane, else a new UUID; echoed in the response; and, when traced, the request's
 * `trace_id` and `span_id`. A request that ended in an unexpected error (`res.err`, set by
 * problemHandler) logs that error with its stack on this line, the only one it gets. Health
 * and metrics probes are quiet unless such an error happens.
 */
export function requestLogging(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    genReqId: (req, res) => {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && /^[\w.-]{1,100}$/.test(given) ? given : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    customLogLevel: (req, res, error) => {
      if (error || res.err) return 'error';
      if (PROBE_PATHS.has(req.url ?? '')) return 'silent';
      return res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info';
    },
    // The line names the request's trace and span, as handlers' lines do (requestLogFields):
    // written into the line, not bound by a child logger per request (pino-http's
    // customProps), which cost ~6 % of the sale path's CPU in `make bench`.
    ...(tracingEnabled() ? { customSuccessObject: withRequestLogFields } : {}),
    customErrorMessage: (_req, res) => (res.err ? 'unhandled error' : 'request errored'),
    // A 5xx answered on purpose (503: a dependency is down) has no error of its own: pino-http
    // makes one up, whose stack would only point at pino-http.
    customErrorObject: (req, res, error, fields: Record<string, unknown>) => ({
      ...fields,
      ...(!res.err && error.message === `failed with status code ${res.statusCode}`
        ? { err: undefined }
        : {}),
      ...requestLogFields(req),
    }),
    serializers: {
      req: (req: { id: unknown; method: string; url: string }) => ({
        id: req.id,
        method: req.method,
        // A token may ride in the query (the queue dashboard's ?token=): never log it.
        url: req.url.replace(/([?&]token=)[^&]*/gi, '$1[redacted]'),
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      err: serializeError,
    },
  });
}

/** Observes each request's duration by method, matched route and status. */
export function requestMetrics(
  histogram: Histogram<'method' | 'route' | 'status'>,
): RequestHandler {
  return (req, res, next) => {
    const end = histogram.startTimer();
    res.on('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      end({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
}

/** Response headers a browser may read cross-origin (when CORS_ORIGINS allows the origin). */
const EXPOSED_HEADERS = ['X-Total-Count', 'X-Request-Id', 'Location', 'Retry-After'];

/**
 * An Express app with what every service puts first: the request's trace span, the client address behind the configured
 * proxies (`trust proxy`), security headers (helmet), CORS only for the configured origins
 * (none by default), request logs with ids, request metrics, and body parsers capped at
 * 100 kB (more is a 413).
 */
export function createBaseApp(options: {
  logger: Logger;
  httpRequestDuration: Histogram<'method' | 'route' | 'status'>;
  forms?: boolean;
  trustProxy: TrustProxy;
  corsOrigins: string[];
}): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy);
  // First: everything after it (logs included) runs in the request's span.
  app.use(traceRequests());
  app.use(helmet());
  if (options.corsOrigins.length > 0) {
    app.use(cors({ origin: options.corsOrigins, exposedHeaders: EXPOSED_HEADERS, maxAge: 600 }));
  }
  app.use(requestLogging(options.logger));
  app.use(requestMetrics(options.httpRequestDuration));
  app.use(express.json({ limit: '100kb' }));
  if (options.forms) app.use(express.urlencoded({ extended: false, limit: '100kb' }));
  return app;
}
