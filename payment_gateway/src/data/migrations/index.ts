import type { Migration } from '@marketplace/common';
import { ledger } from './0001-ledger';
import { sellerDailyTotals } from './0002-seller-daily-totals';
import { ledgerFeed } from './0003-ledger-feed';

/** Every migration, in the order it is applied. */
export const migrations: Migration[] = [ledger, sellerDailyTotals, ledgerFeed];
