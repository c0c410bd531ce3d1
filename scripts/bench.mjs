// `make bench`: load against a running stack (`make run`, `make fixtures` for the admin login).
// It buys from a seller, product and customer of its own, so the demo data (and `make smoke`)
// stay as they were.
// 1. POST /purchase throughput and latency for DURATION seconds over CONNECTIONS connections.
// 2. Lag from the last purchase until the payment gateway has booked every one of them.
// Loopback only; bounded in time. Not a test: it measures, it does not assert.
import autocannon from 'autocannon';

const ECOMMERCE = process.env.ECOMMERCE_URL ?? 'http://127.0.0.1:8000';
const GATEWAY = process.env.PAYMENT_GATEWAY_URL ?? 'http://127.0.0.1:8001';
const DURATION = Number(process.env.DURATION ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 10);
const PRICE = 150;
const RUN = Date.now().toString(36);

async function post(path, body, token) {
  const res = await fetch(`${ECOMMERCE}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  if (!res.ok) {
    throw new Error(`POST ${path}: ${res.status} ${await res.text()} (did you run make fixtures?)`);
  }
  return res.json();
}

const admin = (await post('/login', { username: 'mayara', password: 'mayara123' })).token;
const { seller_id: sellerId } = await post('/seller', { name: `Bench ${RUN}` }, admin);
const { product_id: productId } = await post(
  '/products',
  { title: `Bench ${RUN}`, price: PRICE, seller_id: sellerId },
  admin,
);
const username = `bench_${RUN}`;
await post('/user', { username, email: `${username}@example.com`, password: 'bench-password' });
const buyer = (await post('/login', { username, password: 'bench-password' })).token;

async function revenue() {
  const res = await fetch(`${GATEWAY}/revenue/${sellerId}`, {
    headers: { authorization: `Bearer ${admin}` },
  });
  return (await res.json()).total_received;
}

const result = await autocannon({
  url: `${ECOMMERCE}/purchase`,
  method: 'POST',
  connections: CONNECTIONS,
  duration: DURATION,
  headers: { 'content-type': 'application/json', authorization: `Bearer ${buyer}` },
  body: JSON.stringify({
    products: [{ product_id: productId, quantity: 1 }],
    credit_card: {
      card_number: '4111111111111111',
      cvv: '789',
      card_holder_name: 'Bench',
      exp_date: '12/49',
    },
  }),
});
const placed = result['2xx'];
const lastPurchaseAt = Date.now();

const expected = placed * PRICE;
let booked = await revenue();
while (booked < expected && Date.now() - lastPurchaseAt < 60_000) {
  await new Promise((resolve) => setTimeout(resolve, 50));
  booked = await revenue();
}
const lagMs = Date.now() - lastPurchaseAt;

const line = (label, value) => process.stdout.write(`${label.padEnd(34)} ${value}\n`);
line('purchases placed (2xx)', `${placed} in ${DURATION} s over ${CONNECTIONS} connections`);
line('non-2xx responses', result.non2xx);
line('throughput', `${result.requests.average.toFixed(1)} purchases/s`);
line(
  'latency p50 / p99 / max',
  `${result.latency.p50} / ${result.latency.p99} / ${result.latency.max} ms`,
);
line(
  'booked after the last purchase',
  booked >= expected ? `${lagMs} ms` : `NOT all booked after ${lagMs} ms`,
);
process.exit(booked >= expected && result.non2xx === 0 ? 0 : 1);
