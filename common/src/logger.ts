import pino from 'pino';
import type { Logger } from 'pino';

export type { Logger };

/** Paths that must never reach a log line, whatever logs them. */
const REDACTED = [
  'password',
  '*.password',
  'card_number',
  '*.card_number',
  'cvv',
  '*.cvv',
  'credit_card',
  '*.credit_card',
  'token',
  '*.token',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

/**
 * Fields of an error (and of the errors inside it) that carry a query's values: the SQL with
 * its replacements inlined, bound parameters, PostgreSQL's `detail` ("Key (email)=(...)",
 * "Failing row contains (...)"), Sequelize's `fields`, `value`, `instance`. An email or a
 * password hash must not reach a log because a query failed.
 */
const ERROR_FIELDS_WITH_VALUES = new Set([
  'sql',
  'parameters',
  'bind',
  'detail',
  'fields',
  'value',
  'values',
  'instance',
  'where',
]);

function withoutQueryValues(node: unknown, depth: number): unknown {
  if (node === null || typeof node !== 'object' || depth > 6) return node;
  if (Array.isArray(node)) return node.map((item) => withoutQueryValues(item, depth + 1));
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) => [
      key,
      ERROR_FIELDS_WITH_VALUES.has(key) ? '[redacted]' : withoutQueryValues(value, depth + 1),
    ]),
  );
}

/** pino's error serializer (type, message, stack, code, causes) without query values. */
export function serializeError(error: unknown): unknown {
  // pino-http hands over errors it has already serialized: plain objects.
  const serialized = error instanceof Error ? pino.stdSerializers.err(error) : error;
  return withoutQueryValues(serialized, 0);
}

export function createLogger(
  options: { name: string; level: string },
  destination?: pino.DestinationStream,
): Logger {
  const settings: pino.LoggerOptions = {
    name: options.name,
    level: options.level,
    redact: { paths: REDACTED, censor: '[redacted]' },
    serializers: { err: serializeError },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  // Asynchronous writes to stdout: a line waits only while the previous write is in flight, so
  // under load lines go out together instead of one write(2) each (a synchronous write per
  // line cost more CPU than the purchase's own SQL). pino flushes what is pending on exit.
  return pino(settings, destination ?? pino.destination({ dest: 1, sync: false }));
}
