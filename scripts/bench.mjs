// `make bench`: load against a running stack with the demo fixtures (`make run`, `make fixtures`).
// 1. POST /purchase throughput and latency for DURATION seconds over CONNECTIONS connections.
// 2. Lag from the last purchase until the payment gateway has booked every one of them.
// Loopback only; bounded in time. Not a test: it measures, it does not assert.
import autocannon from 'autocannon';

const ECOMMERCE = process.env.ECOMMERCE_URL ?? 'http://127.0.0.1:8000';
const GATEWAY = process.env.PAYMENT_GATEWAY_URL ?? 'http://127.0.0.1:8001';
const DURATION = Number(process.env.DURATION ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 10);
const SELLER = '72443a08-f340-4cdd-99f5-aa1de7b0455f'; // New seller
const PRODUCT = { id: '66efcb62-7b50-41b9-a3ca-7a6382eba6e8', price: 150 }; // unlimited stock

async function login(username, password) {
  const res = await fetch(`${ECOMMERCE}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!res.ok) throw new Error(`login ${username}: ${res.status} (did you run make fixtures?)`);
  return (await res.json()).token;
}

async function revenue(token) {
  const res = await fetch(`${GATEWAY}/revenue/${SELLER}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return (await res.json()).total_received;
}

const buyer = await login('james', 'james1234');
const seller = await login('new_seller', 'seller1234');
const before = await revenue(seller);

const result = await autocannon({
  url: `${ECOMMERCE}/purchase`,
  method: 'POST',
  connections: CONNECTIONS,
  duration: DURATION,
  headers: { 'content-type': 'application/json', authorization: `Bearer ${buyer}` },
  body: JSON.stringify({
    products: [{ product_id: PRODUCT.id, quantity: 1 }],
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

const expected = before + placed * PRODUCT.price;
let booked = await revenue(seller);
while (booked < expected && Date.now() - lastPurchaseAt < 60_000) {
  await new Promise((resolve) => setTimeout(resolve, 50));
  booked = await revenue(seller);
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
