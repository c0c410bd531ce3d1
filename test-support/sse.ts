import { createParser } from 'eventsource-parser';
import type { EventSourceMessage } from 'eventsource-parser';

/** A server-sent events stream read the way a browser's fetch reads it. */
export interface EventStream {
  status: number;
  contentType: string | null;
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
  const events: EventSourceMessage[] = [];
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
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    events,
    ended: response.ok ? read() : response.text().then(() => undefined),
    close: () => control.abort(),
  };
}
