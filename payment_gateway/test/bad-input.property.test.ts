import { randomUUID } from 'node:crypto';
import { purchaseEventSchema } from '@marketplace/common';
import fc from 'fast-check';
import request from 'supertest';
import type { Test } from 'supertest';
import {
  expectNoServerError,
  headerValue,
  hostileQuery,
  hostileValue,
  oddRawBody,
  pathSegment,
  RUNS,
} from '../../test-support/hostile-input';
import { jsonLines } from '../../test-support/log-capture';
import { openEventStream } from '../../test-support/sse';
import { encodeCursor } from '../src/data/ledger-repository';
import { parsePurchaseMessage } from '../src/messaging/purchase-message';
import { purchaseEvent, tokenFor } from './support/events';
import { listening, startTestGateway } from './support/test-app';
import type { TestGateway } from './support/test-app';

let gw: TestGateway;
let server: Awaited<ReturnType<typeof listening>>;
/** A seller with two ledger lines, and the cursor /entries gave out for its second page. */
const seller = randomUUID();
let realCursor: string;

const admin = tokenFor({ role: 'admin' });

beforeAll(async () => {
  gw = await startTestGateway();
  server = await listening(gw.app);
  await gw.services.ledger.book([
    purchaseEvent({ [seller]: 100 }),
    purchaseEvent({ [seller]: 200 }),
  ]);
  const firstPage = await request(gw.app)
    .get(`/revenue/${seller}/entries?limit=1`)
    .set(admin)
    .expect(200);
  const next = /^<([^>]+)>; rel="next"$/.exec(String(firstPage.headers.link))?.[1];
  realCursor = new URL(next!, 'http://host').searchParams.get('cursor')!;
});
afterAll(async () => {
  await request(gw.app).get('/health').expect(200);
  await gw.close();
  await server.close();
});

const property = <T>(arbitrary: fc.Arbitrary<T>, send: (value: T) => Test) =>
  fc.assert(
    fc.asyncProperty(arbitrary, async (value) => {
      expectNoServerError(await send(value));
    }),
    { numRuns: RUNS },
  );

/**
 * The live stream, which supertest cannot read: a refusal must come whole as problem+json
 * (so before any event), and a stream that opens is closed at once. A failure once the 200
 * is sent can only close the stream, so none may have been logged either.
 */
async function streamProperty<T>(
  arbitrary: fc.Arbitrary<T>,
  open: (value: T) => { path: string; headers: Record<string, string> },
): Promise<void> {
  const logged = gw.logs.length;
  await fc.assert(
    fc.asyncProperty(arbitrary, async (value) => {
      const { path, headers } = open(value);
      const stream = await openEventStream(`${server.url}${path}`, headers);
      stream.close();
      if (stream.refusal) expectNoServerError(stream.refusal);
      else expect(stream.contentType).toMatch(/^text\/event-stream/);
    }),
    { numRuns: RUNS },
  );
  // (A 4xx logs its `request completed` line as a warning: the property checked those.)
  const warnings = jsonLines(gw.logs.slice(logged).join('')).filter(
    (line) => Number(line.level) >= 40 && line.msg !== 'request completed',
  );
  expect(warnings.map((line) => line.msg)).toEqual([]);
}

describe('HTTP input', () => {
  test.each(['/revenue/', '/revenue/:id/entries', '/revenue/:id/daily'])(
    'when GET %s gets an odd seller id, then 2xx or 4xx problem+json',
    async (template) => {
      await property(pathSegment, (segment) =>
        request(gw.app)
          .get(template.includes(':id') ? template.replace(':id', segment) : template + segment)
          .set(admin),
      );
    },
  );

  test.each([
    ['/revenue/:id', ['from', 'to']],
    ['/revenue/:id/entries', ['from', 'to', 'limit', 'offset', 'cursor']],
    ['/revenue/:id/daily', ['from', 'to']],
  ])('when GET %s gets an odd query, then 2xx or 4xx problem+json', async (template, names) => {
    await property(hostileQuery(names), (query) =>
      request(gw.app)
        .get(`${template.replace(':id', seller)}?${query}`)
        .set(admin),
    );
  });

  test.each(['entries', 'daily'])(
    'when the dates of /%s are near-misses (out of range, odd offsets, leap days), then 2xx or 4xx problem+json',
    async (endpoint) => {
      const date = fc.oneof(
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
        fc.constantFrom(
          '0000-01-01',
          '9999-12-31',
          '+275760-09-13T00:00:00.000Z',
          '2026-02-29',
          '2024-02-29T24:00:00Z',
          '2026-11-22T14:00:00+14:00',
          '2026-11-22T14:00:00-23:59',
        ),
      );
      await property(fc.tuple(date, date), ([from, to]) =>
        request(gw.app).get(`/revenue/${seller}/${endpoint}`).query({ from, to }).set(admin),
      );
    },
  );

  test('when the /entries cursor is a near-miss (cut, mangled, foreign, upper case), then 2xx or 4xx problem+json', async () => {
    const cursor = fc.oneof(
      fc.constant(realCursor),
      fc.nat(realCursor.length - 1).map((cut) => realCursor.slice(0, cut)),
      fc.uuid().map(encodeCursor),
      fc.uuid().map((id) => encodeCursor(id.toUpperCase())),
      fc
        .string({ maxLength: 60 })
        .map((text) => Buffer.from(`after:${text}`).toString('base64url')),
      fc
        .string({ unit: 'binary', maxLength: 80 })
        .map((text) => Buffer.from(text).toString('base64')),
    );
    const query = fc.record(
      {
        cursor,
        offset: fc.constantFrom('0', '3', '-1'),
        limit: fc.constantFrom('1', '0', '201'),
        from: fc.constantFrom('2000-01-01', '2999-01-01'),
      },
      { requiredKeys: ['cursor'] },
    );
    await property(query, (q) =>
      request(gw.app).get(`/revenue/${seller}/entries`).query(q).set(admin),
    );
  });

  test('when GET /revenue/:id/stream gets an odd seller id, then a stream or 4xx problem+json before any event', async () => {
    await streamProperty(pathSegment, (segment) => ({
      path: `/revenue/${segment}/stream`,
      headers: admin,
    }));
  });

  test('when Last-Event-ID is odd, then a stream or 4xx problem+json before any event', async () => {
    const lastEventId = fc.oneof(
      headerValue,
      fc.stringMatching(/^-?[0-9]{0,20}$/),
      fc.constantFrom('0', '1e3', '0x10', '+7', '7.0', '9'.repeat(15), '9'.repeat(16)),
    );
    await streamProperty(lastEventId, (id) => ({
      path: `/revenue/${seller}/stream`,
      headers: { ...admin, 'Last-Event-ID': id },
    }));
  });

  test('when the Authorization header or ?token is odd, then 401/403 problem+json', async () => {
    await property(headerValue, (value) =>
      request(gw.app).get(`/revenue/${randomUUID()}`).set('Authorization', value),
    );
    await property(headerValue, (value) =>
      request(gw.app).get(`/admin/queues?token=${encodeURIComponent(value)}`),
    );
  });

  test('when a body is sent where none is expected, then 2xx or 4xx problem+json', async () => {
    await property(oddRawBody, ({ contentType, contentEncoding, body }) => {
      const req = request(gw.app)
        .post(`/revenue/${randomUUID()}`)
        .set(admin)
        .set('Content-Type', contentType);
      return (contentEncoding ? req.set('Content-Encoding', contentEncoding) : req).send(body);
    });
  });
});

describe('the queue message parser', () => {
  const neverThrows = (body: string) => {
    const parsed = parsePurchaseMessage(body);
    if (parsed.ok) expect(purchaseEventSchema.safeParse(parsed.event).success).toBe(true);
    else expect(parsed.reason).toEqual(expect.any(String));
  };

  test('when the body is any string, then it is refused with a reason, never thrown', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 2000 }), neverThrows), {
      numRuns: 200,
    });
  });

  test('when the body is any JSON, raw or in an SNS envelope, then parsed or refused, never thrown', () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 4, stringUnit: 'binary' }), fc.boolean(), (json, wrap) =>
        neverThrows(wrap ? JSON.stringify({ Type: 'Notification', Message: json }) : json),
      ),
      { numRuns: 200 },
    );
  });

  test('when one field of a valid event is replaced by a hostile value, then it is refused', () => {
    const valid = purchaseEvent({ [randomUUID()]: 2990 }) as unknown as Record<string, unknown>;
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(valid)), hostileValue, (field, value) => {
        fc.pre(JSON.stringify(value) !== JSON.stringify(valid[field]));
        const parsed = parsePurchaseMessage(JSON.stringify({ ...valid, [field]: value }));
        // A changed value may still be valid (another ISO date, another currency code).
        if (parsed.ok)
          expect(purchaseEventSchema.safeParse({ ...valid, [field]: value }).success).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  test('when the seller amounts are hostile (huge, negative, fractional, non-uuid keys), then refused', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.oneof(fc.uuid(), fc.string()), hostileValue, { minKeys: 1, maxKeys: 4 }),
        (items) =>
          neverThrows(
            JSON.stringify(purchaseEvent({}, { items: items as Record<string, number> })),
          ),
      ),
      { numRuns: 200 },
    );
  });

  test('when a valid event comes raw or in an envelope, then it is parsed', () => {
    const event = purchaseEvent({ [randomUUID()]: 150 });
    for (const body of [
      JSON.stringify(event),
      JSON.stringify({ Type: 'Notification', Message: JSON.stringify(event) }),
    ]) {
      expect(parsePurchaseMessage(body)).toEqual({ ok: true, event });
    }
  });
});
