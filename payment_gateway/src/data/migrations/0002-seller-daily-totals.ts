import type { Migration } from '@marketplace/common';

/**
 * Every seller's totals per UTC day of purchase, rebuilt from the ledger. The migration's
 * backfill and the benchmark's bulk load use this same statement (on an empty table).
 */
export const FILL_SELLER_DAILY_TOTALS = `
  INSERT INTO seller_daily_totals (seller_id, day, amount, purchases, entries)
  SELECT seller_id, (purchase_date AT TIME ZONE 'UTC')::date,
         sum(amount), sum(CASE event_type WHEN 'order_placed' THEN 1 ELSE -1 END), count(*)
  FROM ledger_entries
  GROUP BY 1, 2`;

export const sellerDailyTotals: Migration = {
  name: '0002-seller-daily-totals',
  async up({ context: sequelize }) {
    await sequelize.query(`
      BEGIN;
      -- Running totals, so /revenue reads one row per day instead of every ledger line. The
      -- booking updates them in its own transaction from the lines it actually inserted.
      -- No currency: the ledger books one currency (events in another are refused).
      CREATE TABLE seller_daily_totals (
        seller_id uuid NOT NULL,
        day date NOT NULL, -- the UTC day of purchase_date
        amount bigint NOT NULL, -- net, minor units
        purchases bigint NOT NULL, -- order_placed +1, order_cancelled -1
        entries bigint NOT NULL, -- ledger lines
        PRIMARY KEY (seller_id, day)
      );
      -- Bookings wait while the backfill reads the ledger, so none is missed or counted twice.
      LOCK TABLE ledger_entries IN SHARE MODE;
      ${FILL_SELLER_DAILY_TOTALS};
      -- Serves the partial days at a range's edges (seller_id + purchase_date) and the
      -- keyset pagination of the entries, whose order is (purchase_date, booked_at, id) DESC.
      CREATE INDEX ledger_entries_seller_order_idx
        ON ledger_entries (seller_id, purchase_date, booked_at, id);
      DROP INDEX ledger_entries_seller_date_idx;
      COMMIT;
    `);
  },
  async down({ context: sequelize }) {
    await sequelize.query(`
      BEGIN;
      CREATE INDEX ledger_entries_seller_date_idx ON ledger_entries (seller_id, purchase_date DESC);
      DROP INDEX ledger_entries_seller_order_idx;
      DROP TABLE seller_daily_totals;
      COMMIT;
    `);
  },
};
