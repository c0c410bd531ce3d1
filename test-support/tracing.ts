import { trace } from '@opentelemetry/api';
import { setTracingEnabled } from '@marketplace/common';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/**
 * Records every span of this test file in memory: a real SDK tracer provider (W3C propagation,
 * no context manager), registered globally as `startTelemetry` registers it in the services
 * by default: what the tests see, the services' explicit passing of spans made. Jest loads modules through its own registry, which the SDK's instrumentations (pg,
 * ioredis) cannot patch: in-process tests see the spans our code makes (requests included);
 * the processes test (e2e/tracing-processes.test.ts) sees the SQL spans too.
 */
export function recordSpans(): { exporter: InMemorySpanExporter; stop: () => Promise<void> } {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  provider.register({ contextManager: null });
  setTracingEnabled(true);
  return {
    exporter,
    async stop() {
      await provider.shutdown();
      trace.disable();
      setTracingEnabled(false);
    },
  };
}

/** The span's parent span id (undefined for a trace's root). */
export const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;

export const spansNamed = (spans: ReadableSpan[], name: string): ReadableSpan[] =>
  spans.filter((span) => span.name === name);
