import pino from 'pino';
import type { Logger } from 'pino';

export type { Logger };

/** Fields that must never reach a log line, at the top of a line or one level down. */
const SECRET_FIELDS = ['password', 'card_number', 'cvv', 'credit_card', 'token'];
const CENSOR = '[redacted]';

/**
 * What pino's `redact` censors: the secret fields at the top of a line and the request's and
 * response's credentials. One level down (`{ body: { password } }`) is censorNested's: pino's
 * wildcard paths (`*.password`) send every field of every line, strings included, through its
 * redactor, which parses every path again on each call: a line of two short fields took 5.7 µs
 * and 7.3 kB of garbage with them against 1.9 µs and 1.5 kB with this, each field ~2.2 kB of
 * it; 10 % of all that ecommerce allocated in `make bench`, and what each field tracing adds
 * to a line (`trace_id`, `span_id`) cost.
 */
const REDACTED = [
  ...SECRET_FIELDS,
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

function hasSecretField(value: object): boolean {
  for (const field of SECRET_FIELDS) if (Object.hasOwn(value, field)) return true;
  return false;
}

/**
 * The line with every object at its top that holds a secret field replaced by a copy that holds
 * `[redacted]` there instead (same prototype and other properties: an Error stays an Error for
 * its serializer). Lines without one, nearly all, are returned as they are.
 */
function censorNested(line: Record<string, unknown>): Record<string, unknown> {
  let censored: Record<string, unknown> | undefined;
  for (const key in line) {
    const value = line[key];
    if (value === null || typeof value !== 'object' || !hasSecretField(value)) continue;
    const fields = Object.getOwnPropertyDescriptors(value);
    for (const field of SECRET_FIELDS) {
      if (fields[field]) fields[field] = { value: CENSOR, enumerable: true, writable: true };
    }
    const copy: unknown = Object.create(Object.getPrototypeOf(value) as object | null, fields);
    censored ??= { ...line };
    censored[key] = copy;
  }
  return censored ?? line;
}

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
    redact: { paths: REDACTED, censor: CENSOR },
    // Before the serializers. Not applied to a child logger's bindings (pino gives children no
    // bindings formatter): none of ours binds more than ids; pino-http's `req` is censored above.
    formatters: { log: censorNested },
    serializers: { err: serializeError },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  // Asynchronous writes to stdout: a line waits only while the previous write is in flight, so
  // under load lines go out together instead of one write(2) each (a synchronous write per
  // line cost more CPU than the purchase's own SQL). pino flushes what is pending on exit.
  return pino(settings, destination ?? pino.destination({ dest: 1, sync: false }));
}
