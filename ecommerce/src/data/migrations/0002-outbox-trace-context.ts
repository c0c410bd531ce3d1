import type { Migration } from '@marketplace/common';

export const outboxTraceContext: Migration = {
  name: '0002-outbox-trace-context',
  async up({ context: sequelize }) {
    await sequelize.query(`
      -- The W3C trace context (traceparent, tracestate) of the request that wrote the event:
      -- the relay publishes it with the message, so the ledger booking joins the sale's trace.
      -- NULL when tracing is off. Not part of the event's payload (the contract's schema).
      ALTER TABLE outbox_events ADD COLUMN trace_context jsonb;
    `);
  },
  async down({ context: sequelize }) {
    await sequelize.query('ALTER TABLE outbox_events DROP COLUMN trace_context');
  },
};
