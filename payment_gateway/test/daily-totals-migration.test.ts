import { randomUUID } from 'node:crypto';
import { createSequelize, ensureDatabase, migrate } from '@marketplace/common';
import { dropDatabase, testDatabaseUrl } from '../../test-support/database';
import { migrations } from '../src/data/migrations';

// A database of this file's own, migrated in two steps: a ledger written before
// seller_daily_totals existed, then the migration that adds and backfills it.
const url = testDatabaseUrl('payments_backfill_test');

afterAll(() => dropDatabase(url));

test('when the totals migration runs on an existing ledger, then every seller-day is backfilled from its lines', async () => {
  await dropDatabase(url);
  await ensureDatabase(url);
  const sequelize = createSequelize(url);
  try {
    const totalsMigration = migrations.findIndex((m) => m.name === '0002-seller-daily-totals');
    await migrate(sequelize, migrations.slice(0, totalsMigration));
    const [a, b] = [randomUUID(), randomUUID()];
    const purchase = randomUUID();
    const line = (seller: string, type: string, amount: number, date: string, id = randomUUID()) =>
      `('${id}', '${seller}', '${type}', '${randomUUID()}', ${amount}, 'BRL', '${date}')`;
    await sequelize.query(`
      INSERT INTO ledger_entries
        (purchase_id, seller_id, event_type, event_id, amount, currency, purchase_date)
      VALUES ${[
        line(a, 'order_placed', 1000, '2026-10-01T23:59:59.999Z', purchase),
        line(a, 'order_cancelled', -1000, '2026-10-01T23:59:59.999Z', purchase),
        line(a, 'order_placed', 250, '2026-10-01T00:00:00Z'),
        line(a, 'order_placed', 300, '2026-10-02T00:00:00Z'),
        line(b, 'order_placed', 70, '2026-10-01T12:00:00-03:00'), // 15:00 UTC, still Oct 1
        line(b, 'order_placed', 80, '2026-10-01T22:00:00-03:00'), // Oct 2 in UTC
      ].join(', ')}`);

    await migrate(sequelize, migrations);

    const [rows] = await sequelize.query(
      `SELECT seller_id, to_char(day, 'YYYY-MM-DD') AS day, amount::int, purchases::int,
              entries::int
       FROM seller_daily_totals ORDER BY seller_id = :a DESC, day`,
      { replacements: { a } },
    );
    expect(rows).toEqual([
      { seller_id: a, day: '2026-10-01', amount: 250, purchases: 1, entries: 3 },
      { seller_id: a, day: '2026-10-02', amount: 300, purchases: 1, entries: 1 },
      { seller_id: b, day: '2026-10-01', amount: 70, purchases: 1, entries: 1 },
      { seller_id: b, day: '2026-10-02', amount: 80, purchases: 1, entries: 1 },
    ]);
    const [indexes] = await sequelize.query(
      `SELECT indexname FROM pg_indexes WHERE tablename = 'ledger_entries' ORDER BY indexname`,
    );
    expect(indexes).toContainEqual({ indexname: 'ledger_entries_seller_order_idx' });
  } finally {
    await sequelize.close();
  }
});
