import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { testBullPrefix } from '../test-support/bullmq';
import { eventually } from '../test-support/eventually';
import { jsonLines } from '../test-support/log-capture';
import { stopService } from '../test-support/service-process';
import type { ServiceProcess } from '../test-support/service-process';
import {
  buildServicesAndLoadFixtures,
  buyAsJames,
  removeBullKeys,
  startCompiledServices,
} from './support/compiled-stack';

/**
 * The compiled services with tracing on, as compose runs them, exporting OTLP (http/json) to a
 * collector in this test: the SDK as the services start it joins the request's and our spans in
 * one trace per sale, and the drain's polling makes no traces of its own. Twice: as shipped (no
 * SDK instrumentation, so no context manager: our spans passed explicitly) and with the opt-in
 * SQL spans (the pg instrumentation's statements, found under our spans through the context
 * manager it brings). Jest cannot load that instrumentation in-process.
 */
// Josias's notebook: the README's seller is processes.test.ts's, which counts its sales.
const PRODUCT = 'aa44ac86-3705-4954-8a1d-aa4733623870';

interface ExportedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
type OtlpAttributes = { key: string; value: OtlpValue }[];
interface OtlpRequest {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttributes };
    scopeSpans?: {
      spans?: (Omit<ExportedSpan, 'service' | 'attributes'> & { attributes?: OtlpAttributes })[];
    }[];
  }[];
}

const attributesOf = (list: OtlpAttributes = []) =>
  Object.fromEntries(
    list.map(({ key, value }) => [
      key,
      value.stringValue ?? value.intValue ?? value.boolValue ?? value.doubleValue,
    ]),
  );

/** An OTLP/HTTP JSON receiver keeping every span it is sent. */
function collector(): Promise<{ server: Server; url: string; spans: ExportedSpan[] }> {
  const spans: ExportedSpan[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const exported = JSON.parse(body) as OtlpRequest;
      for (const resourceSpans of exported.resourceSpans ?? []) {
        const service = String(attributesOf(resourceSpans.resource?.attributes)['service.name']);
        for (const scope of resourceSpans.scopeSpans ?? []) {
          for (const span of scope.spans ?? []) {
            spans.push({ ...span, service, attributes: attributesOf(span.attributes) });
          }
        }
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        server,
        spans,
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      }),
    ),
  );
}

/** The SQL a pg span traced (the attribute's old and new names), else ''. */
const sqlOf = (span: ExportedSpan): string => {
  const text = span.attributes['db.statement'] ?? span.attributes['db.query.text'];
  return typeof text === 'string' ? text : '';
};

let traces: Awaited<ReturnType<typeof collector>>;

beforeAll(async () => {
  await buildServicesAndLoadFixtures();
  traces = await collector();
});

afterAll(() => {
  traces?.server.close();
});

describe.each([
  ['as shipped', false],
  ['with the opt-in SQL spans', true],
])('tracing %s', (_, sqlSpans) => {
  let shop: ServiceProcess;
  let gateway: ServiceProcess;
  const bullPrefix = testBullPrefix(sqlSpans ? 'trace-sql' : 'trace-proc');

  beforeAll(async () => {
    ({ shop, gateway } = await startCompiledServices({
      bullPrefix,
      pollIntervalMs: 300,
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: traces.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        ...(sqlSpans ? { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'pg,ioredis' } : {}),
        // Export within a fraction of a second instead of the default 5 s.
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
    }));
  });

  afterAll(async () => {
    await Promise.all([shop && stopService(shop), gateway && stopService(gateway)]);
    await removeBullKeys(bullPrefix);
  });

  async function buy(headers: Record<string, string> = {}): Promise<string> {
    const purchase = await buyAsJames(shop.url, { productId: PRODUCT, quantity: 1, headers });
    return purchase.body.purchase_id as string;
  }

  /** Every span of the trace of the request that placed the purchase, once its publish and ledger insert (and its COMMIT) arrived. */
  async function traceOf(purchaseId: string): Promise<ExportedSpan[]> {
    const place = await eventually(
      () =>
        Promise.resolve(
          traces.spans.find(
            (span) =>
              span.name === 'POST /purchase' && span.attributes['purchase.id'] === purchaseId,
          ),
        ),
      Boolean,
      { timeoutMs: 10_000 },
    );
    const inTrace = () => traces.spans.filter((span) => span.traceId === place!.traceId);
    return eventually(
      () => Promise.resolve(inTrace()),
      // Each service exports in batches of its own: wait for both ends of the sale.
      (spans) =>
        spans.some((span) => span.name === 'publish purchases') &&
        spans.some((span) => span.name === 'ledger insert') &&
        (!sqlSpans ||
          spans.some((span) => span.service === 'payment_gateway' && /COMMIT/i.test(span.name))),
      { timeoutMs: 10_000 },
    );
  }

  test(`when a purchase is made, then one trace runs from its HTTP request through the publish to the ledger insert${sqlSpans ? ' and its SQL' : ''}`, async () => {
    const purchaseId = await buy();
    const spans = await traceOf(purchaseId);
    // Shown when an expectation below fails: the whole tree at a glance.
    const summary = spans.map(
      (s) => `${s.service} ${s.name} ${s.spanId}<-${s.parentSpanId || '-'}`,
    );
    const byId = new Map(spans.map((span) => [span.spanId, span]));
    const ancestors = (span: ExportedSpan): string[] => {
      const parent = byId.get(span.parentSpanId);
      return parent ? [parent.name, ...ancestors(parent)] : [];
    };
    const named = (name: string, service: string) =>
      spans.find((span) => span.name === name && span.service === service);

    // The HTTP server span is the trace's root (kind 2: SERVER).
    const http = spans.find((span) => !span.parentSpanId);
    expect(http).toMatchObject({ service: 'ecommerce', kind: 2 });
    expect({ route: http!.attributes['http.route'], summary }).toMatchObject({
      route: '/purchase',
    });
    expect(http!.attributes['purchase.id']).toBe(purchaseId);
    expect(ancestors(named('publish purchases', 'ecommerce')!)).toEqual([http!.name]);
    expect(ancestors(named('process purchases', 'payment_gateway')!)).toEqual(
      expect.arrayContaining(['publish purchases', http!.name]),
    );
    const insert = named('ledger insert', 'payment_gateway')!;
    expect(ancestors(insert)[0]).toBe('process purchases');
    if (!sqlSpans) {
      // Our spans only: request, publish, processing, insert.
      expect(new Set(spans.map((span) => span.name))).toEqual(
        new Set(['POST /purchase', 'publish purchases', 'process purchases', 'ledger insert']),
      );
      return;
    }
    // The sale's own statement, traced by the pg instrumentation inside the request's span.
    expect(
      spans.some(
        (span) => span.service === 'ecommerce' && sqlOf(span).includes('INSERT INTO outbox_events'),
      ),
    ).toBe(true);
    // The relay's pass (leases, SNS calls for many sales' events) is in no sale's trace.
    expect(
      spans
        .filter((span) => /UPDATE outbox_events|PublishBatch|POST$/.test(sqlOf(span) || span.name))
        .map((span) => span.name),
    ).toEqual([]);
    const ledgerSql = spans.filter(
      (span) => span.service === 'payment_gateway' && sqlOf(span).includes('ledger_entries'),
    );
    expect(ledgerSql.length).toBeGreaterThan(0);
    for (const sql of ledgerSql) expect(ancestors(sql)).toContain('ledger insert');
  });

  test('when a purchase is made, then its request log line and the lines about it in both services carry its trace id', async () => {
    const purchaseId = await buy();
    const { traceId } = (await traceOf(purchaseId))[0]!;
    const shopLines = jsonLines(shop.output.join('')).filter((line) => line.trace_id === traceId);
    const gatewayLines = jsonLines(gateway.output.join('')).filter(
      (line) => line.trace_id === traceId,
    );
    expect(shopLines.map((line) => line.msg)).toEqual(
      expect.arrayContaining(['purchase placed', 'request completed', 'event published']),
    );
    expect(gatewayLines.map((line) => line.msg)).toContain('event booked');
    for (const line of [...shopLines, ...gatewayLines]) {
      expect(line.span_id).toMatch(/^[0-9a-f]{16}$/);
    }
  });

  test('when the services are idle, then polling, health checks and the relay sweep make no traces', async () => {
    const purchaseId = await buy();
    await traceOf(purchaseId);
    const before = traces.spans.length;
    // Several drain polls, relay sweeps and readiness checks.
    for (let i = 0; i < 5; i++) {
      await request(shop.url).get('/ready').expect(200);
      await request(gateway.url).get('/ready').expect(200);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(traces.spans.slice(before).map((span) => `${span.service}: ${span.name}`)).toEqual([]);
  });

  test("when the caller sends a traceparent, then the sale's trace continues the caller's", async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const purchaseId = await buy({ traceparent: `00-${traceId}-b7ad6b7169203331-01` });
    const spans = await traceOf(purchaseId);
    expect(spans[0]!.traceId).toBe(traceId);
    expect(spans.find((span) => span.name === 'ledger insert')).toBeDefined();
  });

  test('when the caller sends a malformed traceparent, then it is ignored: the sale succeeds in a new trace', async () => {
    const purchaseId = await buy({ traceparent: '00-not-a-trace-01' });
    const spans = await traceOf(purchaseId);
    const http = spans.find((span) => !span.parentSpanId);
    expect(http).toMatchObject({ service: 'ecommerce', kind: 2 });
    expect(spans.some((span) => span.name === 'ledger insert')).toBe(true);
  });
});
