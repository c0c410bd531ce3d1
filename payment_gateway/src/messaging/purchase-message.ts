import { purchaseEventSchema } from '@marketplace/common';
import type { PurchaseEvent } from '@marketplace/common';

export type ParsedMessage = { ok: true; event: PurchaseEvent } | { ok: false; reason: string };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A queue message body -> a v1 purchase event. The subscription delivers raw messages, but an
 * SNS envelope (`{"Type":"Notification","Message":"..."}`) is unwrapped too.
 */
export function parsePurchaseMessage(body: string | undefined): ParsedMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body ?? '');
    if (isRecord(parsed) && parsed.Type === 'Notification' && typeof parsed.Message === 'string') {
      parsed = JSON.parse(parsed.Message);
    }
  } catch {
    return { ok: false, reason: 'body is not JSON' };
  }
  const result = purchaseEventSchema.safeParse(parsed);
  if (!result.success) {
    return {
      ok: false,
      reason: result.error.issues
        .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
        .join('; '),
    };
  }
  return { ok: true, event: result.data };
}
