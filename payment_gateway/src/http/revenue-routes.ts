import { parseInput, principalOf } from '@marketplace/common';
import { Router } from 'express';
import type { RequestHandler } from 'express';
import { encodeCursor } from '../data/ledger-repository';
import type { LedgerUseCases } from '../domain/ledger-use-cases';
import type { LedgerFeed } from '../messaging/ledger-feed';
import { entryJson } from './presenters';
import { revenueStream } from './revenue-stream';
import type { StreamOptions } from './revenue-stream';
import { dailyQuery, entriesQuery, rangeQuery, sellerParams } from './schemas';

export function revenueRoutes(
  ledger: LedgerUseCases,
  feed: LedgerFeed,
  authenticated: RequestHandler,
  options: { currency: string; stream?: StreamOptions },
): Router {
  const { currency, stream: streamOptions } = options;
  const router = Router();
  router.use('/revenue', authenticated);

  router.get('/revenue/:seller_id', async (req, res) => {
    const { seller_id } = parseInput(sellerParams, req.params, 'path');
    const range = parseInput(rangeQuery, req.query, 'query');
    res.json(await ledger.revenue(principalOf(res), seller_id, range));
  });

  router.get('/revenue/:seller_id/entries', async (req, res) => {
    const { seller_id } = parseInput(sellerParams, req.params, 'path');
    const { from, to, ...pageQuery } = parseInput(entriesQuery, req.query, 'query');
    const page = await ledger.entries(principalOf(res), seller_id, { from, to }, pageQuery);
    const last = page.items.at(-1);
    if (page.more && last) {
      // The same request after this page's last line (an offset page continues by cursor too).
      const next = new URL(req.originalUrl, 'http://host');
      next.searchParams.delete('offset');
      next.searchParams.set('cursor', encodeCursor(last.id));
      res.setHeader('Link', `<${next.pathname}${next.search}>; rel="next"`);
    }
    res.setHeader('X-Total-Count', String(page.total)).json(page.items.map(entryJson));
  });

  router.get('/revenue/:seller_id/daily', async (req, res) => {
    const { seller_id } = parseInput(sellerParams, req.params, 'path');
    const days = parseInput(dailyQuery, req.query, 'query');
    res.json({
      seller_id,
      currency,
      ...days,
      days: await ledger.daily(principalOf(res), seller_id, days),
    });
  });

  router.get('/revenue/:seller_id/stream', revenueStream(ledger, feed, streamOptions));

  return router;
}
