import { createParser } from 'eventsource-parser';
import type { EventSourceMessage } from 'eventsource-parser';

/** A refused stream's whole answer, shaped like supertest's (for `problem()` and the like). */
export interface StreamRefusal {
  status: number;
  headers: Record<string, string>;
  /** JSON bodies parsed, others as text. */
  body: unknown;
}

/** A server-sent events stream read the way a browser's fetch reads it. */
export interface EventStream {
  status: number;
  contentType: string | null;
  /** Set when the server refused the stream (not a 2xx): its answer, read whole. */
  refusal?: StreamRefusal;
  /** Every event received so far, in order. */
  events: EventSourceMessage[];
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

export async function openEventStream(
  url: string,
  headers: Record<string, string>,
): Promise<EventStream> {
  const control = new AbortController();
  const response = await fetch(url, { headers, signal: control.signal });
  const contentType = response.headers.get('content-type');
  const events: EventSourceMessage[] = [];
  const close = () => control.abort();
  if (!response.ok) {
    const text = await response.text();
    const refusalHeaders: Record<string, string> = {};
    response.headers.forEach((value, name) => (refusalHeaders[name] = value));
    return {
      status: response.status,
      contentType,
      refusal: {
        status: response.status,
        headers: refusalHeaders,
        body: /json/.test(contentType ?? '') ? JSON.parse(text) : text,
      },
      events,
      ended: Promise.resolve(),
      close,
    };
  }
  const parser = createParser({ onEvent: (event) => events.push(event) });
  const read = async () => {
    if (!response.body) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body) {
        parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
      }
    } catch {
      // Aborted by close().
    }
  };
  return { status: response.status, contentType, events, ended: read(), close };
}
