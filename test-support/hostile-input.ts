import fc from 'fast-check';
import type { Answer } from './problem';

/**
 * Arbitraries for property-based tests of what callers may send: every endpoint must answer
 * these with a 2xx or a 4xx problem+json, never a 5xx and never a crash.
 */

/** Runs per property: enough to find the odd input, few enough for a 2-core machine. */
export const RUNS = 60;

const hugeNumbers = fc.constantFrom(
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER + 2,
  -Number.MAX_SAFE_INTEGER - 2,
  2 ** 31,
  2 ** 63,
  -1,
  0,
  0.5,
  -0,
  1e-320,
);

/** Any JSON value, biased towards what breaks validators: wrong types, extremes, unicode. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.integer(),
  fc.double(),
  hugeNumbers,
  fc.bigInt().map(String),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\u202e',
    '𝕏',
    '٣',
    '１２３',
    'NaN',
    'Infinity',
    '-0',
    '1e400',
  ),
  fc.integer({ min: 1_000, max: 20_000 }).map((n) => 'é'.repeat(n)),
  fc.jsonValue({ maxDepth: 2 }),
);

/**
 * A body that starts from a valid one and replaces, removes or adds fields: near-misses reach
 * deeper into the validation than random noise does.
 */
export function mutatedBody(valid: Record<string, unknown>): fc.Arbitrary<unknown> {
  const fields = Object.fromEntries(
    Object.entries(valid).map(([key, value]) => [
      key,
      fc.oneof(
        { weight: 2, arbitrary: fc.constant(value) },
        { weight: 2, arbitrary: hostileValue },
        { weight: 1, arbitrary: fc.constant(undefined) },
      ),
    ]),
  );
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .tuple(fc.record(fields), fc.dictionary(fc.string(), hostileValue, { maxKeys: 2 }))
        .map(([body, extra]) => ({ ...extra, ...body })),
    },
    { weight: 1, arbitrary: hostileValue },
  );
}

/** Raw request bodies with odd content types and encodings. */
export const oddRawBody = fc.record({
  contentType: fc.constantFrom(
    'application/json',
    'application/json; charset=utf-16',
    'application/json; charset=latin1',
    'application/json; charset=klingon',
    'application/x-www-form-urlencoded',
    'application/x-www-form-urlencoded; charset=utf-32',
    'text/plain',
    'multipart/form-data; boundary=x',
    'application/xml',
    'application/vnd.api+json',
    '*/*',
    'nonsense',
  ),
  contentEncoding: fc.constantFrom(undefined, 'gzip', 'deflate', 'br', 'identity', 'x-rot13'),
  body: fc.oneof(
    fc.uint8Array({ maxLength: 2000 }).map((bytes) => Buffer.from(bytes)),
    fc.json({ maxDepth: 3, stringUnit: 'binary' }).map((text) => Buffer.from(text)),
    fc
      .json({ maxDepth: 3 })
      .chain((text) => fc.nat(text.length).map((cut) => Buffer.from(text.slice(0, cut)))),
    fc.string({ unit: 'binary', maxLength: 300 }).map((text) => Buffer.from(text, 'utf16le')),
  ),
});

/** A path segment as a client may send it: percent-escapes good and bad, unicode, dots. */
export const pathSegment: fc.Arbitrary<string> = fc.oneof(
  fc.uuid().map((id) => id.toUpperCase()),
  fc.string({ unit: 'binary', maxLength: 60 }).map(encodeURIComponent),
  fc.stringMatching(/^[A-Za-z0-9%._~!$&'()*+,;=:@-]{1,80}$/),
  fc.constantFrom('%', '%E0%A4%A', '%C0%80', '%00', '%FF%FE', '..', '%2e%2e', 'a'.repeat(5000)),
);

/** A query string of the given names (and a stray one) with hostile values, arrays included. */
export function hostileQuery(names: string[]): fc.Arbitrary<string> {
  const value = fc.oneof(
    // Cut short: Node itself refuses request heads over 16 kB (431) before any app code runs.
    hostileValue.map((v) => (typeof v === 'string' ? v : (JSON.stringify(v) ?? '')).slice(0, 500)),
    fc.stringMatching(/^[%A-Za-z0-9]{0,12}$/),
  );
  // `raw`: sent unescaped when it holds a `%`, so broken escapes reach the query parser.
  const pair = fc.tuple(fc.constantFrom(...names, `${names[0]}[]`, 'x'), value, fc.boolean());
  return fc
    .array(pair, { maxLength: 5 })
    .map((pairs) =>
      pairs
        .map(([name, v, raw]) => `${name}=${raw && /%/.test(v) ? v : encodeURIComponent(v)}`)
        .join('&'),
    );
}

/** A header value a client can send (no control characters), often long or odd. */
export const headerValue: fc.Arbitrary<string> = fc.oneof(
  fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,200}$/),
  fc.constantFrom(
    'Bearer',
    'Bearer ',
    'JWT x.y.z',
    'Bearer a.b.c',
    'Basic dXNlcjpwYXNz',
    'Bearer ' + 'A'.repeat(8000),
  ),
);

/** The outcome every hostile request must have: not a server error, and a problem if refused. */
export function expectNoServerError(res: Answer): void {
  const summary = { status: res.status, body: res.body as unknown };
  expect(summary.status).toBeLessThan(500);
  if (res.status >= 400) {
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: res.status, title: expect.any(String) });
  }
}
