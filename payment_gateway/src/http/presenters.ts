import type { z } from 'zod';
import type { BookedEntry } from '../data/ledger-repository';
import type { entryResponse } from './revenue-schemas';

/** A ledger line on the wire, as /entries lists it and the live stream sends it. */
export function entryJson(entry: BookedEntry): z.infer<typeof entryResponse> {
  return {
    entry_id: entry.id,
    purchase_id: entry.purchaseId,
    event_id: entry.eventId,
    event_type: entry.eventType,
    amount: entry.amount,
    currency: entry.currency,
    purchase_date: entry.purchaseDate.toISOString(),
    booked_at: entry.bookedAt.toISOString(),
  };
}
