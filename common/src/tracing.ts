import {
  INVALID_SPAN_CONTEXT,
  ROOT_CONTEXT,
  SpanStatusCode,
  context,
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
 */

/** What work is given to name when nothing traces it: every call on it does nothing. */
const NO_SPAN: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** The W3C trace context of one sale, as stored with its outbox event and sent with its message. */
export type TraceCarrier = Record<string, string>;

/** The tracer of one service (its spans' instrumentation scope). */
export function tracer(service: string): Tracer {
  return trace.getTracer(service);
}

/** The active trace context as W3C headers (`traceparent`, `tracestate`), or null when none. */
export function currentTraceCarrier(active: Context = context.active()): TraceCarrier | null {
  const carrier: TraceCarrier = {};
  propagation.inject(active, carrier);
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

/**
 * The span the current work runs in (a request's SERVER span, a message's CONSUMER span), to
 * name what it did: a no-op span when there is none or tracing is off.
 */
export function activeSpan(): Span {
  return (tracingEnabled() && trace.getActiveSpan()) || NO_SPAN;
}

/** `trace_id` and `span_id` of the active span, for every log line (pino's mixin). */
export function traceLogFields(): { trace_id?: string; span_id?: string } {
  const span = trace.getSpan(context.active())?.spanContext();
  if (!span || !trace.isSpanContextValid(span)) return {};
  return { trace_id: span.traceId, span_id: span.spanId };
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
 * Runs `work` inside a new active span (child of the active context) that ends with it and
 * records its error, if any.
 */
export async function inSpan<T>(
  tracerOf: Tracer,
  name: string,
  options: { kind?: SpanKind; attributes?: Attributes },
  work: (span: Span) => Promise<T>,
): Promise<T> {
  if (!tracingEnabled()) return work(NO_SPAN);
  return tracerOf.startActiveSpan(name, options, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      recordFailure(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}
