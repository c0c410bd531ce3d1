import type { Migration } from '@marketplace/common';

export const ledgerFeed: Migration = {
  name: '0003-ledger-feed',
  async up({ context: sequelize }) {
    await sequelize.query(`
      -- The order lines were booked in, for the live feed: a stream's event id, so a client
      -- that reconnects says where it stopped (Last-Event-ID). Existing lines are numbered in
      -- their physical order (this rewrites the table once).
      ALTER TABLE ledger_entries ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;
      CREATE UNIQUE INDEX ledger_entries_seller_seq_idx ON ledger_entries (seller_id, seq);
    `);
  },
  async down({ context: sequelize }) {
    await sequelize.query('ALTER TABLE ledger_entries DROP COLUMN seq');
  },
};
