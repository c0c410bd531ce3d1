import {
  INVALID_SPAN_CONTEXT,
  ROOT_CONTEXT,
  SpanStatusCode,
  propagation,
  trace,
} from '@opentelemetry/api';
import type { Attributes, Context, Span, SpanKind, Tracer } from '@opentelemetry/api';
import { AppError, statusOf } from './app-error';
import { tracingEnabled } from './tracing-switch';

export { setTracingEnabled, tracingEnabled } from './tracing-switch';

/**
 * Tracing through the OpenTelemetry API only. Without an SDK (telemetry off, the default) every
 * call here is a cheap no-op; `startTelemetry` (telemetry.ts) registers the SDK when OTEL_*
 * settings ask for it, and tests register an in-memory one.
 *
 * The trace context is passed explicitly: a request's span rides on the request
 * (`requestSpan`), a message's in the drain's hands, and whatever logs, stores a carrier or
 * starts a child span is given the span it works in. Nothing here reads the "active" context:
 * on Node 20 keeping one (AsyncLocalStorage, the SDK's context manager) puts a hook on every
 * promise the process makes (2–6 % of ecommerce's CPU per purchase in `make bench`, README
 * "Performance"), so it is registered only for the SDK's own instrumentations when they are
 * enabled (telemetry.ts).
 */

/** The span given to work nothing traces: every call on it does nothing. */
export const NOT_TRACED: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** The W3C trace context of one sale, as stored with its outbox event and sent with its message. */
export type TraceCarrier = Record<string, string>;

/** The tracer of one service (its spans' instrumentation scope). */
export function tracer(service: string): Tracer {
  return trace.getTracer(service);
}

/** The span's trace context as W3C headers (`traceparent`, `tracestate`), or null when none. */
export function carrierOf(span: Span): TraceCarrier | null {
  const carrier: TraceCarrier = {};
  propagation.inject(trace.setSpan(ROOT_CONTEXT, span), carrier);
  return carrier.traceparent ? carrier : null;
}

/**
 * The context a stored or received carrier names. A missing or malformed `traceparent` gives
 * the root context (the work starts a new trace): never an error.
 */
export function contextFromCarrier(carrier: TraceCarrier | null | undefined): Context {
  if (!carrier || typeof carrier.traceparent !== 'string') return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, carrier);
}

/** The fields that tie a log line to its span: `trace_id` and `span_id` (none when untraced). */
export interface TraceLogFields {
  trace_id: string;
  span_id: string;
}

/** `trace_id` and `span_id` of the span a log line is written in, to spread into the line. */
export function traceLogFields(span: Span): TraceLogFields | undefined {
  // Asked first: untraced (the default) the span is NOT_TRACED, whose ids need no checking.
  if (!tracingEnabled()) return undefined;
  const ids = span.spanContext();
  if (!trace.isSpanContextValid(ids)) return undefined;
  return { trace_id: ids.traceId, span_id: ids.spanId };
}

/**
 * Marks a span failed with the error that ended its work. A refusal the caller is told about
 * (an AppError under 500: no stock, a bad card) is an outcome, not a failure: it is named
 * (`error.type`, the problem's code) but the span's status stays unset, as HTTP server spans
 * treat 4xx.
 */
export function recordFailure(span: Span, error: unknown): void {
  if (error instanceof AppError && statusOf(error.code) < 500) {
    span.setAttribute('error.type', error.code);
    return;
  }
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
}

/**
 * Runs `work` in a new span, a child of `parent`, that ends with it and records its error, if
 * any. The span is also made the active one while `work` runs, for the SDK's instrumentations
 * (SQL spans) when they are enabled; without them that costs nothing.
 */
export async function inSpan<T>(
  tracerOf: Tracer,
  name: string,
  options: { kind?: SpanKind; attributes?: Attributes },
  parent: Span,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  if (!tracingEnabled()) return work(NOT_TRACED);
  return tracerOf.startActiveSpan(
    name,
    options,
    trace.setSpan(ROOT_CONTEXT, parent),
    async (span) => {
      try {
        return await work(span);
      } catch (error) {
        recordFailure(span, error);
        throw error;
      } finally {
        span.end();
      }
    },
  );
}
