import { randomUUID } from 'node:crypto';
import { SpanStatusCode } from '@opentelemetry/api';
import type { MessagingResources } from '@marketplace/common';
import { parentOf, recordSpans } from '../../test-support/tracing';
import { publish, purchaseEvent } from './support/events';
import { ownMessaging, startTestGateway } from './support/test-app';
import type { TestGateway } from './support/test-app';

/** How the drain joins (or starts) a sale's trace from what a message carries. */
let spans: ReturnType<typeof recordSpans>;
let messaging: MessagingResources;
let gw: TestGateway;
beforeAll(() => {
  spans = recordSpans();
});
afterAll(() => spans.stop());
beforeEach(async () => {
  spans.exporter.reset();
  messaging = await ownMessaging();
  // One receive loop: messages waiting together are received (and booked) together.
  gw = await startTestGateway({ queueUrl: messaging.queueUrl, env: { DRAIN_CONCURRENCY: '1' } });
});
afterEach(() => gw.close());

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PUBLISH_SPAN_ID = '00f067aa0ba902b7';

const processing = () =>
  spans.exporter.getFinishedSpans().filter((span) => span.name === 'process purchases');

test('when a message carries a traceparent, then its processing is a child of that span, in its trace', async () => {
  const event = purchaseEvent({ [randomUUID()]: 500 });
  await publish(messaging.topicArn, event, {
    traceparent: `00-${TRACE_ID}-${PUBLISH_SPAN_ID}-01`,
  });
  expect(await gw.services.drain.run()).toMatchObject({ booked: 1 });
  const [span] = processing();
  expect(span!.spanContext().traceId).toBe(TRACE_ID);
  expect(parentOf(span!)).toBe(PUBLISH_SPAN_ID);
  expect(span!.attributes['purchase.id']).toBe(event.purchase_id);
  expect(span!.status.code).not.toBe(SpanStatusCode.ERROR);
});

test('when a message carries no trace context, then it is booked in a new trace', async () => {
  const event = purchaseEvent({ [randomUUID()]: 500 });
  await publish(messaging.topicArn, event);
  expect(await gw.services.drain.run()).toMatchObject({ received: 1, booked: 1, invalid: 0 });
  const [span] = processing();
  expect(parentOf(span!)).toBeUndefined();
  expect(span!.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
  expect(span!.spanContext().traceId).not.toBe(TRACE_ID);
});

test.each([
  ['not W3C at all', 'hello'],
  ['an all-zero trace id', `00-${'0'.repeat(32)}-${PUBLISH_SPAN_ID}-01`],
  ['a short span id', `00-${TRACE_ID}-00f067-01`],
  ['an unknown version ff', `ff-${TRACE_ID}-${PUBLISH_SPAN_ID}-01`],
])(
  'when a message carries a malformed traceparent (%s), then it is ignored: booked in a new trace, nothing logged as an error',
  async (_, traceparent) => {
    const event = purchaseEvent({ [randomUUID()]: 500 });
    await publish(messaging.topicArn, event, { traceparent });
    expect(await gw.services.drain.run()).toMatchObject({ received: 1, booked: 1, invalid: 0 });
    const [span] = processing();
    expect(parentOf(span!)).toBeUndefined();
    expect(span!.spanContext().traceId).not.toBe(TRACE_ID);
    expect(gw.logs.join('')).not.toMatch(/"level":(40|50)/);
  },
);

test('when several messages are booked together, then one batch span links to each message and does the insert', async () => {
  const events = [1, 2, 3].map(() => purchaseEvent({ [randomUUID()]: 100 }));
  const traceIds = ['a', 'b', 'c'].map((c) => c.repeat(32));
  await Promise.all(
    events.map((event, i) =>
      publish(messaging.topicArn, event, {
        traceparent: `00-${traceIds[i]}-${PUBLISH_SPAN_ID}-01`,
      }),
    ),
  );
  const run = await gw.services.drain.run();
  expect(run).toMatchObject({ received: 3, booked: 3 });
  const finished = spans.exporter.getFinishedSpans();
  const batches = finished.filter((span) => span.name === 'process purchases batch');
  expect(batches).toHaveLength(1);
  const batch = batches[0]!;
  expect(parentOf(batch)).toBeUndefined();
  expect(batch.links.map((link) => link.context.traceId).sort()).toEqual(traceIds);
  expect(
    processing()
      .map((span) => span.spanContext().traceId)
      .sort(),
  ).toEqual(traceIds);
  const insert = finished.find((span) => span.name === 'ledger insert')!;
  expect(parentOf(insert)).toBe(batch.spanContext().spanId);
  expect(insert.attributes).toMatchObject({ 'ledger.entries': 3, 'ledger.entries_booked': 3 });
});
