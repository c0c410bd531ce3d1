import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import {
  NOT_TRACED,
  contextFromCarrier,
  isDataException,
  isTransactionRollback,
  recordFailure,
  sqlState,
  traceLogFields,
  tracer,
} from '@marketplace/common';
import type { Logger, PurchaseEvent, TraceCarrier } from '@marketplace/common';
import type { LedgerUseCases } from '../domain/ledger-use-cases';
import type { Metrics } from '../metrics';
import { parsePurchaseMessage } from './purchase-message';
import type { QueueLocator } from './queue-locator';

export interface DrainOptions {
  /** Stop receiving after this long: well under the visibility timeout (60 s). */
  budgetMs: number;
  /** Long-poll wait of each receive. */
  waitTimeSeconds: number;
  /** How long an invalid message stays hidden before it is received again (and, after 5, dead-lettered). */
  invalidRetryDelaySeconds: (receiveCount: number) => number;
  /** The deployment's currency: events in another one are not booked. */
  currency: string;
  /** Receive→book→delete loops of one run, each with its own batch in hand (DRAIN_CONCURRENCY). */
  concurrency: number;
}

/** What configuration does not set (the currency and the concurrency come from config). */
export type TunableDrainOptions = Omit<DrainOptions, 'currency' | 'concurrency'>;

export const DEFAULT_DRAIN_OPTIONS: TunableDrainOptions = {
  budgetMs: 15_000,
  waitTimeSeconds: 1,
  invalidRetryDelaySeconds: (receiveCount) => Math.min(30, 2 ** (receiveCount - 1)),
};

export interface DrainResult {
  received: number;
  booked: number;
  duplicates: number;
  invalid: number;
  /** Set when the run received nothing because the ledger database was unreachable. */
  held?: true;
}

/** Backoff while the ledger database is down: 1 s doubling to 30 s between checks. */
const DATABASE_BACKOFF_MS = { first: 1000, max: 30_000 };

const DELETE_ATTEMPTS = 3;
/** SQS's most per ReceiveMessage and per DeleteMessageBatch. */
const MAX_RECEIVE = 10;
/**
 * Receives a loop books in one transaction while they come back full (a backlog): 30 events
 * per transaction instead of 10 took a worker from ~8,400 to ~10,900 ledger entries/s.
 */
const RECEIVES_PER_BOOKING = 3;

interface Parsed {
  message: Message;
  event: PurchaseEvent;
}

const tracing = tracer('payment_gateway');

/** The W3C trace context the relay sent as message attributes (raw delivery keeps them). */
function traceCarrierOf(message: Message): TraceCarrier {
  const carrier: TraceCarrier = {};
  for (const name of ['traceparent', 'tracestate']) {
    const value = message.MessageAttributes?.[name]?.StringValue;
    if (value !== undefined) carrier[name] = value;
  }
  return carrier;
}

/**
 * One CONSUMER span per message, a child of the span that published it: the sale's trace goes
 * on into the ledger. A message without (or with a malformed) trace context starts a new trace.
 */
function processSpan({ message, event }: Parsed): Span {
  return tracing.startSpan(
    'process purchases',
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'aws_sqs',
        'messaging.operation.type': 'process',
        'messaging.message.id': message.MessageId ?? '',
        'purchase.id': event.purchase_id,
        'purchase.event_type': event.event_type,
        'purchase.event_id': event.event_id,
      },
    },
    contextFromCarrier(traceCarrierOf(message)),
  );
}

/**
 * Where a booking's own work (its transaction, the ledger insert) is traced. One message: in
 * its span, so the insert shows in the sale's trace (the messaging conventions allow the
 * message's context as parent for single messages). Several: one batch span of its own,
 * linked to each message's span, as the conventions recommend (a span has only one parent).
 */
function bookingSpan(spans: Span[]): { span: Span; own: boolean } {
  if (spans.length === 1) return { span: spans[0]!, own: false };
  const links = spans
    .map((span) => ({ context: span.spanContext() }))
    .filter((link) => trace.isSpanContextValid(link.context));
  const span = tracing.startSpan(
    'process purchases batch',
    {
      kind: SpanKind.CONSUMER,
      links,
      attributes: {
        'messaging.system': 'aws_sqs',
        'messaging.operation.type': 'process',
        'messaging.batch.message_count': spans.length,
      },
    },
    ROOT_CONTEXT,
  );
  return { span, own: true };
}

const BOOK_ATTEMPTS = 3;

/**
 * One run of the drain job: `concurrency` loops each receive batches of up to 10 while
 * messages keep coming (within the budget), book each batch's valid events in one transaction
 * (up to 3 full batches together), and only then delete them. Invalid messages are never
 * deleted; after 5 receives SQS moves them to the DLQ.
 */
export class SqsDrain {
  private readonly options: DrainOptions;
  private stopping = false;
  /** While the ledger database is down: when to check it again, and the current backoff. */
  private databaseDown: { retryAt: number; backoffMs: number } | undefined;

  constructor(
    private readonly sqs: SQSClient,
    private readonly queues: QueueLocator,
    private readonly ledger: LedgerUseCases,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    options: Pick<DrainOptions, 'currency' | 'concurrency'> & Partial<TunableDrainOptions>,
  ) {
    this.options = { ...DEFAULT_DRAIN_OPTIONS, ...options };
  }

  /** Finish the batches in hand and receive no more (shutdown). */
  stop(): void {
    this.stopping = true;
  }

  async run(): Promise<DrainResult> {
    const started = Date.now();
    const result: DrainResult = { received: 0, booked: 0, duplicates: 0, invalid: 0 };
    // Every receive counts towards the DLQ's limit of 5. Receiving messages that cannot be
    // booked would dead-letter good sales during a long database outage: receive nothing then.
    if (!(await this.ledgerReachable())) return { ...result, held: true };
    const queueUrl = await this.queues.url();
    // Several receives in flight: each loop waits on SQS or the ledger while the others work.
    // SQS hands a message to one receiver at a time; a redelivery that reaches another loop or
    // process after all is booked as nothing (the ledger's unique key).
    const loops = await Promise.allSettled(
      Array.from({ length: this.options.concurrency }, () =>
        this.receiveLoop(queueUrl, started, result),
      ),
    );
    const failed = loops.find((loop) => loop.status === 'rejected');
    if (failed) throw failed.reason;
    return result;
  }

  /**
   * Receives batches while messages come, within the budget, and books each (up to
   * RECEIVES_PER_BOOKING full ones together) before deleting it. Ends after the batch in hand
   * on stop(), on an empty receive, and once any loop found the ledger database down (a loop
   * that fails ends its run's other loops before their next receive).
   */
  private async receiveLoop(queueUrl: string, started: number, result: DrainResult) {
    while (!this.stopping && !this.databaseDown) {
      const remainingSeconds = Math.floor((this.options.budgetMs - (Date.now() - started)) / 1000);
      if (remainingSeconds < 0) break;
      const waitSeconds = Math.min(this.options.waitTimeSeconds, remainingSeconds);
      const messages = await this.receive(queueUrl, waitSeconds);
      if (messages.length === 0) break;
      // A full batch says more are waiting: take them too, without waiting, and book them all
      // in one transaction (PostgreSQL round trips are most of a batch's cost).
      while (
        messages.length % MAX_RECEIVE === 0 &&
        messages.length < MAX_RECEIVE * RECEIVES_PER_BOOKING &&
        !this.stopping &&
        !this.databaseDown
      ) {
        const more = await this.receive(queueUrl, 0);
        if (more.length === 0) break;
        messages.push(...more);
      }
      result.received += messages.length;
      await this.handle(queueUrl, messages, result);
    }
  }

  private async receive(queueUrl: string, waitSeconds: number): Promise<Message[]> {
    const out = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: MAX_RECEIVE,
        WaitTimeSeconds: waitSeconds,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
      }),
    );
    const messages = out.Messages ?? [];
    this.metrics.oldestMessageAge.set(oldestAgeSeconds(messages));
    return messages;
  }

  private async handle(queueUrl: string, messages: Message[], result: DrainResult): Promise<void> {
    const valid: Parsed[] = [];
    for (const message of messages) {
      const parsed = parsePurchaseMessage(message.Body);
      if (!parsed.ok) await this.reject(queueUrl, message, parsed.reason, result);
      else if (parsed.event.currency !== this.options.currency) {
        const reason = `currency ${parsed.event.currency}, this ledger books ${this.options.currency}`;
        await this.reject(queueUrl, message, reason, result);
      } else valid.push({ message, event: parsed.event });
    }
    if (valid.length === 0) return;

    let booked: Parsed[];
    try {
      await this.bookRetryingRollbacks(valid, result);
      booked = valid;
    } catch (error) {
      if (!isDataException(error)) {
        // The database is unwell: these come back after the visibility timeout, and no run
        // receives more until the database answers again.
        this.markDatabaseDown(error);
        throw error;
      }
      // One event the database refuses must not hold back the others: book them one by one.
      booked = [];
      for (const item of valid) {
        try {
          await this.bookRetryingRollbacks([item], result);
          booked.push(item);
        } catch (single) {
          if (!isDataException(single)) throw single;
          await this.reject(
            queueUrl,
            item.message,
            `rejected by the ledger: ${String(single)}`,
            result,
          );
        }
      }
    }
    await this.delete(
      queueUrl,
      booked.map((v) => v.message),
    );
  }

  /** False while the ledger database is down (checked again after a growing backoff). */
  private async ledgerReachable(): Promise<boolean> {
    if (this.databaseDown && Date.now() < this.databaseDown.retryAt) return false;
    try {
      await this.ledger.ensureReachable();
    } catch (error) {
      this.markDatabaseDown(error);
      return false;
    }
    if (this.databaseDown) {
      this.logger.info('ledger database reachable again; draining');
      this.databaseDown = undefined;
    }
    return true;
  }

  private markDatabaseDown(error: unknown): void {
    // Another loop of this run found it down already: one failure, one step of backoff.
    if (this.databaseDown && Date.now() < this.databaseDown.retryAt) return;
    const backoffMs = this.databaseDown
      ? Math.min(DATABASE_BACKOFF_MS.max, this.databaseDown.backoffMs * 2)
      : DATABASE_BACKOFF_MS.first;
    if (!this.databaseDown) {
      this.logger.warn(
        { err: error },
        'ledger database unreachable; receiving nothing until it answers',
      );
    }
    this.databaseDown = { retryAt: Date.now() + backoffMs, backoffMs };
  }

  /** Books again when PostgreSQL rolled the transaction back (a deadlock), up to 3 times. */
  private async bookRetryingRollbacks(items: Parsed[], result: DrainResult): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.book(items, result);
      } catch (error) {
        if (!isTransactionRollback(error) || attempt >= BOOK_ATTEMPTS) throw error;
        this.logger.warn(
          { err: error, attempt, code: sqlState(error) },
          'the ledger database rolled the booking back (deadlock); booking the batch again',
        );
      }
    }
  }

  private async book(items: Parsed[], result: DrainResult): Promise<void> {
    const spans = items.map(processSpan);
    const booking = bookingSpan(spans);
    let outcome;
    try {
      outcome = await this.ledger.book(
        items.map((v) => v.event),
        booking.span,
      );
    } catch (error) {
      for (const span of spans) recordFailure(span, error);
      if (booking.own) recordFailure(booking.span, error);
      throw error;
    } finally {
      for (const span of spans) span.end();
      if (booking.own) booking.span.end();
    }
    const { booked, duplicates } = outcome;
    result.booked += booked;
    result.duplicates += duplicates;
    this.metrics.entriesBooked.inc(booked);
    this.metrics.duplicatesSkipped.inc(duplicates);
    this.metrics.messagesBooked.inc(items.length);
    items.forEach(({ message, event }, i) => {
      // Named by the message's span: the line carries the sale's trace id.
      this.logger.info(
        {
          event_id: event.event_id,
          event_type: event.event_type,
          purchase_id: event.purchase_id,
          message_id: message.MessageId,
          ...traceLogFields(spans[i]!),
        },
        'event booked',
      );
    });
  }

  /** Leaves the message on the queue, hidden for a while; SQS dead-letters it after 5 receives. */
  private async reject(queueUrl: string, message: Message, reason: string, result: DrainResult) {
    result.invalid += 1;
    this.metrics.invalidMessages.inc();
    const receiveCount = Number(message.Attributes?.ApproximateReceiveCount ?? 1);
    // Named by the span of whoever sent it, when it says (the line then names that trace).
    const sender = trace.getSpan(contextFromCarrier(traceCarrierOf(message))) ?? NOT_TRACED;
    this.logger.warn(
      {
        message_id: message.MessageId,
        receive_count: receiveCount,
        reason,
        ...traceLogFields(sender),
      },
      'invalid message left for the dead-letter queue',
    );
    try {
      await this.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: this.options.invalidRetryDelaySeconds(receiveCount),
        }),
      );
    } catch (error) {
      // Not fatal: the message then reappears after the queue's visibility timeout.
      this.logger.warn(
        { err: error, message_id: message.MessageId },
        'could not shorten visibility',
      );
    }
  }

  /**
   * DeleteMessageBatch answers 200 even when entries fail: retry the failed ones. Whatever
   * still fails is redelivered later and absorbed by the ledger's unique key.
   */
  private async delete(queueUrl: string, messages: Message[]): Promise<void> {
    const batches = [];
    for (let i = 0; i < messages.length; i += MAX_RECEIVE) {
      batches.push(this.deleteBatch(queueUrl, messages.slice(i, i + MAX_RECEIVE)));
    }
    await Promise.all(batches);
  }

  private async deleteBatch(queueUrl: string, messages: Message[]): Promise<void> {
    let pending = messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle }));
    for (let attempt = 1; attempt <= DELETE_ATTEMPTS && pending.length > 0; attempt++) {
      const out = await this.sqs.send(
        new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }),
      );
      const failed = out.Failed ?? [];
      if (failed.length > 0) {
        this.logger.warn({ attempt, failed }, 'some deletes failed');
      }
      const retryable = new Set(failed.filter((f) => !f.SenderFault).map((f) => f.Id));
      pending = pending.filter((entry) => retryable.has(entry.Id));
    }
    if (pending.length > 0) {
      this.logger.warn(
        { count: pending.length },
        'messages not deleted; their redelivery will book nothing',
      );
    }
  }
}

function oldestAgeSeconds(messages: Message[]): number {
  const sent = messages.map((m) => Number(m.Attributes?.SentTimestamp)).filter(Number.isFinite);
  return sent.length === 0 ? 0 : Math.max(0, (Date.now() - Math.min(...sent)) / 1000);
}
