import type { Migration } from '@marketplace/common';

export const ledger: Migration = {
  name: '0001-ledger',
  async up({ context: sequelize }) {
    await sequelize.query(`
      -- One line per (purchase, seller, event type): a redelivered or republished event
      -- inserts nothing (ON CONFLICT DO NOTHING), so nothing is ever counted twice.
      CREATE TABLE ledger_entries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        purchase_id uuid NOT NULL,
        seller_id uuid NOT NULL,
        event_type varchar(40) NOT NULL,
        event_id uuid NOT NULL,
        amount bigint NOT NULL,
        currency char(3) NOT NULL,
        purchase_date timestamptz NOT NULL,
        booked_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ledger_entries_once UNIQUE (purchase_id, seller_id, event_type)
      );
      CREATE INDEX ledger_entries_seller_date_idx ON ledger_entries (seller_id, purchase_date DESC);
    `);
  },
  async down({ context: sequelize }) {
    await sequelize.query('DROP TABLE ledger_entries');
  },
};
