import type { Migration } from '@marketplace/common';

export const initialSchema: Migration = {
  name: '0001-initial-schema',
  async up({ context: sequelize }) {
    await sequelize.query(`
      CREATE TABLE sellers (
        id uuid PRIMARY KEY,
        name varchar(200) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE users (
        id uuid PRIMARY KEY,
        username varchar(150) NOT NULL,
        email varchar(254) NOT NULL,
        password_hash varchar(100) NOT NULL,
        role varchar(16) NOT NULL DEFAULT 'customer' CHECK (role IN ('customer', 'seller', 'admin')),
        seller_id uuid UNIQUE REFERENCES sellers (id),
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX users_username_key ON users (lower(username));
      CREATE UNIQUE INDEX users_email_key ON users (lower(email));

      CREATE TABLE products (
        id uuid PRIMARY KEY,
        seller_id uuid NOT NULL REFERENCES sellers (id),
        title varchar(200) NOT NULL,
        price integer NOT NULL CHECK (price > 0),
        stock integer CHECK (stock >= 0),
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX products_seller_idx ON products (seller_id, created_at);
      CREATE INDEX products_created_idx ON products (created_at, id);

      -- Card data kept: brand, last four digits, holder, expiry. Never the number or the CVV.
      CREATE TABLE purchases (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users (id),
        status varchar(16) NOT NULL CHECK (status IN ('placed', 'cancelled')),
        total_price bigint NOT NULL CHECK (total_price >= 0),
        currency char(3) NOT NULL,
        card_brand varchar(20) NOT NULL,
        card_last4 char(4) NOT NULL,
        card_holder_name varchar(100) NOT NULL,
        card_exp_month smallint NOT NULL,
        card_exp_year smallint NOT NULL,
        idempotency_key varchar(255),
        request_hash char(64),
        created_at timestamptz NOT NULL DEFAULT now(),
        cancelled_at timestamptz
      );
      CREATE UNIQUE INDEX purchases_idempotency_key ON purchases (user_id, idempotency_key)
        WHERE idempotency_key IS NOT NULL;
      CREATE INDEX purchases_user_created_idx ON purchases (user_id, created_at DESC);

      -- Title, price and seller as they were at the moment of the sale.
      CREATE TABLE purchase_items (
        id uuid PRIMARY KEY,
        purchase_id uuid NOT NULL REFERENCES purchases (id) ON DELETE CASCADE,
        position smallint NOT NULL,
        product_id uuid NOT NULL REFERENCES products (id),
        seller_id uuid NOT NULL REFERENCES sellers (id),
        title varchar(200) NOT NULL,
        quantity integer NOT NULL CHECK (quantity > 0),
        unit_price integer NOT NULL CHECK (unit_price > 0),
        subtotal bigint NOT NULL,
        UNIQUE (purchase_id, position)
      );

      -- Transactional outbox: written with the purchase, published to SNS by the relay.
      CREATE TABLE outbox_events (
        id uuid PRIMARY KEY,
        purchase_id uuid NOT NULL REFERENCES purchases (id),
        event_type varchar(40) NOT NULL,
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        available_at timestamptz NOT NULL DEFAULT now(),
        attempts integer NOT NULL DEFAULT 0,
        leased_until timestamptz,
        published_at timestamptz,
        last_error text
      );
      CREATE INDEX outbox_events_pending_idx ON outbox_events (available_at)
        WHERE published_at IS NULL;
    `);
  },
  async down({ context: sequelize }) {
    await sequelize.query(
      'DROP TABLE outbox_events, purchase_items, purchases, products, users, sellers',
    );
  },
};
