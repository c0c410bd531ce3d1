import { z } from 'zod';

/** The SNS topic and SQS queues of the purchase pipeline. */
export const TOPIC_NAME = 'purchases';
export const QUEUE_NAME = 'payment-gateway-purchases';
export const DLQ_NAME = 'payment-gateway-purchases-dlq';
export const MAX_RECEIVE_COUNT = 5;

export const EVENT_TYPES = ['order_placed', 'order_cancelled'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

const isoDateTime = z.iso.datetime({ offset: true });

/** Version 1 of the purchase event: what ecommerce publishes and payment_gateway books. */
export const purchaseEventSchema = z.object({
  event_id: z.uuid(),
  event_type: z.enum(EVENT_TYPES),
  version: z.literal(1),
  occurred_at: isoDateTime,
  purchase_id: z.uuid(),
  purchase_date: isoDateTime,
  currency: z.string().regex(/^[A-Z]{3}$/),
  /** seller_id -> amount owed to that seller, in minor units */
  items: z
    .record(z.uuid(), z.number().int().nonnegative())
    .refine((items) => Object.keys(items).length > 0, 'must name at least one seller'),
});

export type PurchaseEvent = z.infer<typeof purchaseEventSchema>;
