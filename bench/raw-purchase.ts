import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { PRODUCTS_FOR_SALE_SQL } from '../ecommerce/src/data/product-repository';
import { placeStatement } from '../ecommerce/src/data/purchase-repository';

/**
 * The ceiling of the purchase path: the project's own two statements (price the products, then
 * the one-statement write) through plain node-postgres, no HTTP, no Express, no Sequelize, at
 * the concurrency the HTTP rounds use. Returns purchases/s.
 */
export async function measureRawCeiling(
  databaseUrl: string,
  options: {
    products: string[];
    userId: string;
    inFlight: number;
    seconds: number;
  },
): Promise<number> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
  const deadline = Date.now() + options.seconds * 1000;
  let placed = 0;
  let next = 0;
  const purchaseOnce = async () => {
    const productId = options.products[next++ % options.products.length]!;
    const { rows } = await pool.query<{
      id: string;
      title: string;
      price: number;
      seller_id: string;
    }>(PRODUCTS_FOR_SALE_SQL, [[productId]]);
    const product = rows[0]!;
    const id = randomUUID();
    const createdAt = new Date();
    const item = {
      productId,
      sellerId: product.seller_id,
      title: product.title,
      quantity: 1,
      unitPrice: product.price,
      subtotal: product.price,
    };
    const { text, values } = placeStatement(
      {
        id,
        userId: options.userId,
        status: 'placed',
        totalPrice: product.price,
        currency: 'BRL',
        card: { brand: 'visa', last4: '1111', holderName: 'Bench', expMonth: 12, expYear: 2049 },
        idempotencyKey: null,
        requestHash: null,
        items: [item],
        createdAt,
      },
      {
        event_id: randomUUID(),
        event_type: 'order_placed',
        version: 1,
        occurred_at: createdAt.toISOString(),
        purchase_id: id,
        purchase_date: createdAt.toISOString(),
        currency: 'BRL',
        items: { [product.seller_id]: product.price },
      },
    );
    await pool.query(text, values);
    placed++;
  };
  const started = Date.now();
  await Promise.all(
    Array.from({ length: options.inFlight }, async () => {
      while (Date.now() < deadline) await purchaseOnce();
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  await pool.end();
  return placed / seconds;
}
