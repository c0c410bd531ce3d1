import { createServiceRegistry, sharedPerScrape } from '@marketplace/common';
import { Counter, Gauge } from 'prom-client';
import type { Histogram, Registry } from 'prom-client';
import type { DrainHeartbeat } from './messaging/drain-heartbeat';
import { messagesIn } from './messaging/queue-depth';
import type { QueueCounts, QueueDepths } from './messaging/queue-depth';

export interface Metrics {
  registry: Registry;
  httpRequestDuration: Histogram<'method' | 'route' | 'status'>;
  messagesBooked: Counter;
  entriesBooked: Counter;
  duplicatesSkipped: Counter;
  invalidMessages: Counter;
  drainRuns: Counter<'outcome'>;
  scheduleRestored: Counter;
  oldestMessageAge: Gauge;
}

const UNKNOWN: QueueCounts = { visible: NaN, notVisible: NaN, delayed: NaN };

/** One registry per app instance, so tests can build several in one process. */
export function createMetrics(depths: QueueDepths, heartbeat: DrainHeartbeat): Metrics {
  const { registry, registers, httpRequestDuration } = createServiceRegistry();
  // Depth and in-flight come from one GetQueueAttributes per scrape.
  const queueCounts = sharedPerScrape(() => depths.queue().catch(() => UNKNOWN));
  new Gauge({
    name: 'sqs_queue_depth',
    help: 'Messages waiting in the purchases queue (ApproximateNumberOfMessages)',
    registers,
    async collect() {
      this.set((await queueCounts()).visible);
    },
  });
  new Gauge({
    name: 'sqs_queue_in_flight',
    help: 'Messages received but not yet deleted (ApproximateNumberOfMessagesNotVisible)',
    registers,
    async collect() {
      this.set((await queueCounts()).notVisible);
    },
  });
  new Gauge({
    name: 'sqs_dlq_depth',
    help: 'Messages in the dead-letter queue: events that could not be booked',
    registers,
    async collect() {
      this.set(messagesIn(await depths.deadLetter().catch(() => UNKNOWN)));
    },
  });
  new Gauge({
    name: 'drain_last_success_age_seconds',
    help: 'Seconds since a drain run last finished in any gateway process (readiness fails past 3 poll intervals plus the drain budget)',
    registers,
    async collect() {
      this.set(await heartbeat.ageSeconds());
    },
  });
  return {
    registry,
    httpRequestDuration,
    messagesBooked: new Counter({
      name: 'ledger_messages_booked_total',
      help: 'Queue messages whose events were committed to the ledger and deleted',
      registers,
    }),
    entriesBooked: new Counter({
      name: 'ledger_entries_booked_total',
      help: 'New ledger lines (one per seller per event)',
      registers,
    }),
    duplicatesSkipped: new Counter({
      name: 'ledger_duplicates_skipped_total',
      help: 'Ledger lines already booked (redelivered or republished events)',
      registers,
    }),
    invalidMessages: new Counter({
      name: 'sqs_invalid_messages_total',
      help: 'Messages that are not a valid v1 purchase event (left for the DLQ)',
      registers,
    }),
    drainRuns: new Counter({
      name: 'drain_runs_total',
      help: 'Runs of the SQS drain job by outcome',
      labelNames: ['outcome'],
      registers,
    }),
    scheduleRestored: new Counter({
      name: 'drain_schedule_restored_total',
      help: 'Times this process found the drain schedule missing from Redis and put it back',
      registers,
    }),
    oldestMessageAge: new Gauge({
      name: 'sqs_oldest_message_age_seconds',
      help: 'Age of the oldest message in the last batch received (0 when the queue was empty)',
      registers,
    }),
  };
}
