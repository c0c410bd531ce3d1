// The sellers' revenue page: log in at ecommerce, read /revenue with the token, and follow the
// live stream of newly booked ledger lines. Plain ES modules, no build step.
import uPlot from '/dashboard/vendor/uPlot.esm.js';
import { createParser } from '/dashboard/vendor/eventsource-parser.js';

const PAGE_SIZE = 10;
const DAY_MS = 24 * 3600 * 1000;
const TOKEN_KEY = 'dashboard-token';

const $ = (id) => document.getElementById(id);
const session = {
  token: null,
  claims: null,
  sellerId: null,
  expiry: null,
  stream: null,
};
const view = { cursors: [], next: null, seen: new Set(), chart: null, money: null, refresh: null };
let config = { ecommerce_url: null };

// ---- session ------------------------------------------------------------------------------

/** The token's claims (not verified here: the API verifies every request). */
function claimsOf(token) {
  const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
  return JSON.parse(atob(payload));
}

async function logIn(event) {
  event.preventDefault();
  show($('login-error'), null);
  if (!config.ecommerce_url) {
    show($('login-error'), 'Logging in is not set up here (ECOMMERCE_PUBLIC_URL).');
    return;
  }
  let response;
  try {
    response = await fetch(`${config.ecommerce_url}/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: $('username').value, password: $('password').value }),
    });
  } catch {
    show($('login-error'), 'The shop cannot be reached to log in. Try again in a moment.');
    return;
  }
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    show($('login-error'), problem.detail ?? `Logging in failed (${response.status}).`);
    return;
  }
  $('password').value = '';
  start((await response.json()).token);
}

function start(token) {
  const claims = claimsOf(token);
  if (claims.exp * 1000 <= Date.now()) return expire();
  if (claims.role !== 'seller' && claims.role !== 'admin') {
    show($('login-error'), 'This account is not a seller account: there is no revenue to show.');
    return;
  }
  Object.assign(session, { token, claims });
  sessionStorage.setItem(TOKEN_KEY, token);
  session.expiry = setTimeout(expire, claims.exp * 1000 - Date.now());
  const asAdmin = claims.role === 'admin';
  $('seller-field').hidden = !asAdmin;
  $('seller-id').required = asAdmin;
  if (asAdmin) $('seller-id').value ||= new URLSearchParams(location.search).get('seller') ?? '';
  $('who-name').textContent = claims.username;
  $('who').hidden = false;
  $('login-view').hidden = true;
  $('revenue-view').hidden = false;
  show($('notice'), null);
  if (!asAdmin || $('seller-id').value) void select();
  else $('seller-id').focus();
}

function end(message) {
  clearTimeout(session.expiry);
  closeStream();
  Object.assign(session, { token: null, claims: null, sellerId: null });
  sessionStorage.removeItem(TOKEN_KEY);
  $('who').hidden = true;
  $('revenue-view').hidden = true;
  $('login-view').hidden = false;
  show($('notice'), message);
  $('username').focus();
}

const expire = () => end('Your session has expired. Please log in again.');

// ---- reading the revenue -----------------------------------------------------------------

class Problem extends Error {}

async function api(path) {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${session.token}` } });
  if (response.status === 401) {
    expire();
    throw new Problem('expired');
  }
  const body = await response.json();
  if (!response.ok) throw new Problem(body.detail ?? `The request failed (${response.status}).`);
  return { body, link: response.headers.get('Link') };
}

const range = () => ({ from: $('from').value, to: $('to').value });

function revenuePath(suffix, params = {}) {
  const query = new URLSearchParams({ ...range(), ...params });
  return `/revenue/${encodeURIComponent(session.sellerId)}${suffix}?${query}`;
}

/** Shows the chosen seller and range: totals, chart, first page of lines, live stream. */
async function select(event) {
  event?.preventDefault();
  const sellerId =
    session.claims.role === 'admin' ? $('seller-id').value.trim() : session.claims.seller_id;
  const changedSeller = sellerId !== session.sellerId;
  session.sellerId = sellerId;
  view.cursors = [];
  try {
    await Promise.all([loadTotals(), loadLines(undefined)]);
    show($('notice'), null);
  } catch (error) {
    if (error instanceof Problem && error.message !== 'expired') show($('notice'), error.message);
    return;
  }
  if (changedSeller || !session.stream) openStream();
}

async function loadTotals() {
  const [{ body: revenue }, { body: daily }] = await Promise.all([
    api(revenuePath('')),
    api(revenuePath('/daily')),
  ]);
  view.money = moneyFormat(revenue.currency);
  $('total').textContent = view.money.format(revenue.total_received);
  $('purchases').textContent = revenue.purchases_count.toLocaleString();
  drawChart(daily);
}

async function loadLines(cursor) {
  const params = { limit: String(PAGE_SIZE), ...(cursor ? { cursor } : {}) };
  const { body: lines, link } = await api(revenuePath('/entries', params));
  view.next = /<[^>]*[?&]cursor=([^&>]+)[^>]*>;\s*rel="next"/.exec(link ?? '')?.[1] ?? null;
  view.seen = new Set(lines.map((line) => line.entry_id));
  $('lines').replaceChildren(...lines.map((line) => lineItem(line)));
  $('empty').hidden = lines.length > 0 || view.cursors.length > 0;
  $('older').disabled = !view.next;
  $('newer').disabled = view.cursors.length === 0;
}

async function older() {
  if (!view.next) return;
  view.cursors.push(view.next);
  await loadLines(decodeURIComponent(view.next)).catch(report);
}

async function newer() {
  view.cursors.pop();
  const cursor = view.cursors.at(-1);
  await loadLines(cursor && decodeURIComponent(cursor)).catch(report);
}

function report(error) {
  if (error instanceof Problem && error.message !== 'expired') show($('notice'), error.message);
}

// ---- showing money -------------------------------------------------------------------------

/** Formats minor units in the deployment's currency (2990 BRL: R$ 29,90; JPY has no minor unit). */
function moneyFormat(currency) {
  const format = new Intl.NumberFormat(undefined, { style: 'currency', currency });
  const scale = 10 ** format.resolvedOptions().maximumFractionDigits;
  return { format: (minor) => format.format(minor / scale), major: (minor) => minor / scale };
}

function lineItem(line, isNew = false) {
  const item = document.createElement('li');
  if (isNew) item.className = 'new';
  const cancelled = line.event_type === 'order_cancelled';
  const when = new Date(line.purchase_date);
  item.innerHTML = `
    <span class="line-what"></span>
    <span class="line-amount"></span>
    <span class="line-when"></span>
    <span class="line-purchase"></span>`;
  item.querySelector('.line-what').textContent = cancelled ? 'Cancellation' : 'Sale';
  const amount = item.querySelector('.line-amount');
  amount.textContent = view.money ? view.money.format(line.amount) : String(line.amount);
  amount.classList.toggle('negative', line.amount < 0);
  item.querySelector('.line-when').textContent = when.toLocaleString();
  item.querySelector('.line-purchase').textContent = `purchase ${line.purchase_id}`;
  item.dataset.entryId = line.entry_id;
  return item;
}

function drawChart(daily) {
  // Every day of the range on the axis; days without sales have no bar.
  const totals = new Map(daily.days.map((day) => [day.day, day.total]));
  const xs = [];
  const ys = [];
  for (let t = Date.parse(daily.from); t <= Date.parse(daily.to); t += DAY_MS) {
    xs.push(t / 1000);
    const total = totals.get(new Date(t).toISOString().slice(0, 10));
    ys.push(total === undefined ? null : view.money.major(total));
  }
  const element = $('chart');
  const sum = view.money.format(daily.days.reduce((total, day) => total + day.total, 0));
  element.setAttribute(
    'aria-label',
    `Revenue per day from ${daily.from} to ${daily.to}, ${sum} in all`,
  );
  const options = {
    width: element.clientWidth || 300,
    height: 220,
    legend: { show: false },
    // Half a day of margin each side, so the first and last days' bars are whole.
    scales: { x: { time: true, range: (_u, min, max) => [min - 43_200, max + 43_200] } },
    axes: [{}, { values: (_u, values) => values.map((v) => v.toLocaleString()) }],
    series: [
      {},
      {
        label: 'Revenue',
        stroke: '#1d3557',
        fill: 'rgba(29, 53, 87, 0.25)',
        paths: uPlot.paths.bars({ size: [0.7, 40] }),
        points: { show: false },
      },
    ],
  };
  view.chart?.destroy();
  view.chart = new uPlot(options, [xs, ys], element);
}

// ---- the live stream ---------------------------------------------------------------------

function closeStream() {
  session.stream?.abort();
  session.stream = null;
  setLive('off', 'not live');
}

function setLive(state, text) {
  $('live').dataset.state = state;
  $('live').textContent = text;
}

/**
 * Follows /revenue/:id/stream with fetch (EventSource cannot send the token in a header, and
 * tokens must not travel in URLs). Reconnects after the server's `retry:` delay, resuming
 * after the last line received (Last-Event-ID); lines already shown are skipped.
 */
function openStream() {
  closeStream();
  const control = new AbortController();
  session.stream = control;
  let lastEventId;
  let retryMs = 2000;
  const connect = async () => {
    if (control.signal.aborted) return;
    setLive('connecting', 'connecting…');
    try {
      const response = await fetch(`/revenue/${encodeURIComponent(session.sellerId)}/stream`, {
        headers: {
          Authorization: `Bearer ${session.token}`,
          Accept: 'text/event-stream',
          ...(lastEventId ? { 'Last-Event-ID': lastEventId } : {}),
        },
        signal: control.signal,
      });
      if (response.status === 401) return expire();
      if (!response.ok) {
        const problem = await response.json().catch(() => ({}));
        setLive('off', 'not live');
        show($('notice'), problem.detail ?? `The live feed was refused (${response.status}).`);
        return;
      }
      setLive('live', 'live');
      const parser = createParser({
        onRetry: (ms) => (retryMs = ms),
        onEvent: (event) => {
          if (event.id) lastEventId = event.id;
          if (event.event === 'entry') arrived(JSON.parse(event.data));
          if (event.event === 'expired') expire();
        },
      });
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.feed(value);
      }
    } catch {
      if (control.signal.aborted) return;
    }
    if (control.signal.aborted || !session.token) return;
    setLive('connecting', 'reconnecting…');
    setTimeout(connect, retryMs);
  };
  void connect();
}

/** A line just booked: shown at the top of the first page if it is in the range, totals redone. */
function arrived(line) {
  const day = line.purchase_date.slice(0, 10);
  const { from, to } = range();
  if (day < from || day > to || view.seen.has(line.entry_id)) return;
  view.seen.add(line.entry_id);
  if (view.cursors.length === 0) {
    $('lines').prepend(lineItem(line, true));
    while ($('lines').children.length > PAGE_SIZE) $('lines').lastElementChild.remove();
    $('empty').hidden = true;
  }
  // Totals and chart from the server (exact), at most a few times a second under a burst.
  clearTimeout(view.refresh);
  view.refresh = setTimeout(() => loadTotals().catch(report), 200);
}

// ---- wiring ----------------------------------------------------------------------------------

function show(element, message) {
  element.hidden = !message;
  element.textContent = message ?? '';
}

async function main() {
  config = await (await fetch('/dashboard/config.json')).json();
  const today = new Date().toISOString().slice(0, 10);
  $('to').value = today;
  $('from').value = new Date(Date.parse(today) - 29 * DAY_MS).toISOString().slice(0, 10);
  $('login-form').addEventListener('submit', logIn);
  $('range-form').addEventListener('submit', select);
  $('logout').addEventListener('click', () => end(null));
  $('older').addEventListener('click', older);
  $('newer').addEventListener('click', newer);
  new ResizeObserver(() =>
    view.chart?.setSize({ width: $('chart').clientWidth, height: 220 }),
  ).observe($('chart'));
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) start(saved);
  else $('username').focus();
}

void main();
