import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
} from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import type { Request, RequestHandler } from 'express';
import { NOT_TRACED, traceLogFields } from './tracing';
import type { TraceLogFields } from './tracing';
import { tracingEnabled } from './tracing-switch';

const tracing = trace.getTracer('marketplace-http');

/**
 * Probes answered many times a minute: neither traced (a trace each would bury the sales) nor
 * logged unless they fail (requestLogging).
 */
export const PROBE_PATHS: ReadonlySet<string> = new Set(['/health', '/ready', '/metrics']);

const SPAN = Symbol('the request span');
type TracedRequest = Request & { [SPAN]?: Span };

/** The request's SERVER span, to name what the request did (a no-op span when untraced). */
export function requestSpan(req: Request): Span {
  return (req as TracedRequest)[SPAN] ?? NOT_TRACED;
}

/**
 * `trace_id` and `span_id` of the request's span, for every line logged about the request: the
 * request log line has them, handlers spread them into theirs (`req.log.info({ ...fields })`).
 */
export function requestLogFields(req: Request): TraceLogFields | undefined {
  return traceLogFields(requestSpan(req));
}

/**
 * The SERVER span of each request, in the caller's trace when it sends a W3C `traceparent`
 * (a malformed one is ignored: a new trace), named by method and route (`POST /purchase`)
 * with the stable HTTP attributes. It rides on the request (`requestSpan`): handlers name the
 * request's outcome on it and pass it to whatever they start, and the lines logged about the
 * request carry its ids (requestLogFields). It is also the active span for the rest of the
 * request, which only the SDK's instrumentations read (SQL spans; free when they are off).
 * Probes are not traced.
 *
 * Why not @opentelemetry/instrumentation-http: measured with `make bench` (tracing step) it
 * took ~18 % of purchase throughput on its own — it wraps every listener of every request
 * and response — against the < 10 % the whole of tracing may cost. This middleware records
 * the same span (what tracing as a whole costs: README "Performance").
 */
export function traceRequests(): RequestHandler {
  return (req, res, next) => {
    if (!tracingEnabled() || PROBE_PATHS.has(req.path)) {
      next();
      return;
    }
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const span = tracing.startSpan(
      req.method,
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': req.method, 'url.path': req.path },
      },
      parent,
    );
    // One listener: 'close' follows 'finish', and also comes alone when the client went away
    // before the response was sent (the span then ends without a status code).
    res.once('close', () => {
      const route = (req.route as { path?: string } | undefined)?.path;
      if (route !== undefined) {
        const path = `${req.baseUrl}${route}`;
        span.setAttribute('http.route', path);
        span.updateName(`${req.method} ${path}`);
      }
      if (res.writableFinished) {
        span.setAttribute('http.response.status_code', res.statusCode);
        if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    });
    (req as TracedRequest)[SPAN] = span;
    context.with(trace.setSpan(parent, span), next);
  };
}
