import { parseInput, principalOf, requestLogFields } from '@marketplace/common';
import type { RequestHandler } from 'express';
import type { BookedEntry } from '../data/ledger-repository';
import type { LedgerUseCases } from '../domain/ledger-use-cases';
import type { LedgerFeed } from '../messaging/ledger-feed';
import { entryJson } from './presenters';
import { lastEventIdHeader, sellerParams } from './revenue-schemas';

export interface StreamOptions {
  /** A comment line this often keeps proxies and load balancers from closing an idle stream. */
  keepAliveMs: number;
  /** How long a reader waits before reconnecting (sent as `retry:`). */
  reconnectMs: number;
}

export const DEFAULT_STREAM_OPTIONS: StreamOptions = { keepAliveMs: 15_000, reconnectMs: 2_000 };

/** Entry ids already sent on one stream (a resumed or caught-up stream re-reads a margin). */
class SentEntries {
  private readonly ids = new Set<string>();
  private readonly order: string[] = [];
  constructor(private readonly capacity = 5_000) {}

  /** True the first time an id is seen. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    this.order.push(id);
    if (this.order.length > this.capacity) this.ids.delete(this.order.shift()!);
    return true;
  }
}

/**
 * GET /revenue/:seller_id/stream: a server-sent events stream of the seller's ledger lines as
 * they are booked (`event: entry`, `id:` the line's booking number, `data:` the line as
 * /entries shows it). The same authorization as /revenue; the stream ends when the token
 * expires (`event: expired`) or the service stops (`event: closing`). A reader that
 * reconnects with `Last-Event-ID` first gets what it missed. Lines may repeat (a margin of a
 * few seconds is re-sent on opening, after `Last-Event-ID` and after a gap in the feed, since
 * a line numbered lower can commit later); they never go missing. Readers drop repeats by
 * `entry_id`.
 */
export function revenueStream(
  ledger: LedgerUseCases,
  feed: LedgerFeed,
  options: StreamOptions = DEFAULT_STREAM_OPTIONS,
): RequestHandler {
  return async (req, res) => {
    const { seller_id: sellerId } = parseInput(sellerParams, req.params, 'path');
    const afterSeq = parseInput(lastEventIdHeader, req.get('Last-Event-ID'), 'header');
    const principal = principalOf(res);
    ledger.assertMayFollow(principal, sellerId);
    // Where this reader is: the last line it saw, or the seller's latest line for a new one.
    let lastSeq = afterSeq ?? (await ledger.position(sellerId));

    const sent = new SentEntries();
    const send = (entries: BookedEntry[]) => {
      for (const entry of entries) {
        if (!sent.add(entry.id)) continue;
        lastSeq = Math.max(lastSeq, entry.seq);
        res.write(`id: ${entry.seq}\nevent: entry\ndata: ${JSON.stringify(entryJson(entry))}\n\n`);
      }
    };
    let closed = false;
    const close = (event?: string) => {
      if (closed) return;
      closed = true;
      clearInterval(keepAlive);
      clearTimeout(expiry);
      unsubscribe();
      if (event && !res.writableEnded) res.write(`event: ${event}\ndata: {}\n\n`);
      res.end();
    };
    const catchUp = (after: number) =>
      ledger.missed(sellerId, after).then(send, (error: unknown) => {
        req.log.warn(
          { err: error, ...requestLogFields(req) },
          'live revenue stream: catching up failed, closing',
        );
        close();
      });

    // Subscribed and the headers sent in one go: once a reader sees the 200, it follows the feed.
    const unsubscribe = feed.subscribe(sellerId, {
      entries: send,
      gap: () => void catchUp(lastSeq),
      end: () => close('closing'),
    });
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      // nginx and similar proxies otherwise buffer the stream.
      'X-Accel-Buffering': 'no',
    });
    res.write(`retry: ${options.reconnectMs}\n\n`);
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), options.keepAliveMs);
    const expiry = setTimeout(
      () => close('expired'),
      Math.min(Math.max(0, principal.expiresAt.getTime() - Date.now()), 2 ** 31 - 1),
    );
    res.on('close', () => close());
    // Then the backlog: a line booked in between comes both ways, and is sent once. A new
    // reader gets the last few seconds too (the margin): what it read just before opening the
    // stream may already be a little old.
    await catchUp(lastSeq);
  };
}
