import { isDataException, isTransactionRollback, sqlState } from './database';
/** The closed set of failure kinds; each is one HTTP status (STATUS_BY_KIND). */
export type AppErrorKind =
  | 'validation'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'unprocessable'
  | 'payload_too_large'
  | 'too_many_requests'
  | 'internal'
  | 'unavailable';

/**
 * Every failure a client can be answered with, by its stable code, and the kind (so the status)
 * it is. The code is sent as the problem's `code` member and in its `type` URI, so a client
 * tells one 409 from another without reading prose. README "Error codes" documents each; a
 * test keeps that table and this one equal.
 */
export const ERROR_CODES = {
  validation_failed: 'validation',
  invalid_card: 'validation',
  malformed_body: 'validation',
  malformed_path: 'validation',
  value_out_of_range: 'validation',
  token_required: 'unauthorized',
  invalid_token: 'unauthorized',
  token_expired: 'unauthorized',
  invalid_credentials: 'unauthorized',
  account_not_found: 'unauthorized',
  forbidden: 'forbidden',
  route_not_found: 'not_found',
  seller_not_found: 'not_found',
  product_not_found: 'not_found',
  purchase_not_found: 'not_found',
  username_taken: 'conflict',
  email_taken: 'conflict',
  owner_not_eligible: 'conflict',
  insufficient_stock: 'conflict',
  purchase_not_placed: 'conflict',
  already_exists: 'conflict',
  transaction_conflict: 'conflict',
  payload_too_large: 'payload_too_large',
  unknown_products: 'unprocessable',
  unknown_seller: 'unprocessable',
  unknown_user: 'unprocessable',
  idempotency_key_reused: 'unprocessable',
  unknown_reference: 'unprocessable',
  rate_limited: 'too_many_requests',
  internal: 'internal',
  unavailable: 'unavailable',
  overloaded: 'unavailable',
} as const satisfies Record<string, AppErrorKind>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The codes, for the OpenAPI enum and the tests. */
export const errorCodes = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

/**
 * The problem `type` of a code. A URN, not an https address: the project has no documentation
 * host whose name is certain to outlive it, and a type must never change once clients match on
 * it. RFC 9457 lets a type be a non-resolvable URI (consumers must not dereference it anyway);
 * what each one means is in README "Error codes".
 */
export const problemType = (code: ErrorCode): string => `urn:marketplace:problem:${code}`;

export interface FieldError {
  path: string;
  message: string;
}

export class AppError extends Error {
  readonly kind: AppErrorKind;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly errors?: FieldError[],
    /** Sent as `Retry-After` (seconds) with a 429 or 503. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'AppError';
    this.kind = ERROR_CODES[code];
  }
}

const STATUS_BY_KIND: Record<AppErrorKind, { status: number; title: string }> = {
  validation: { status: 400, title: 'Bad Request' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  forbidden: { status: 403, title: 'Forbidden' },
  not_found: { status: 404, title: 'Not Found' },
  conflict: { status: 409, title: 'Conflict' },
  payload_too_large: { status: 413, title: 'Payload Too Large' },
  unprocessable: { status: 422, title: 'Unprocessable Content' },
  too_many_requests: { status: 429, title: 'Too Many Requests' },
  internal: { status: 500, title: 'Internal Server Error' },
  unavailable: { status: 503, title: 'Service Unavailable' },
};

/** The HTTP status a code is answered with. */
export const statusOf = (code: ErrorCode): number => STATUS_BY_KIND[ERROR_CODES[code]].status;

/** RFC 9457 problem details, with the failure's stable `code`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  errors?: FieldError[];
}

export interface MappedProblem {
  problem: Problem;
  /** true when the failure is ours, not the caller's: log it with its stack. */
  unexpected: boolean;
  retryAfterSeconds?: number | undefined;
}

function problemOf(code: ErrorCode, detail: string, errors?: FieldError[]): Problem {
  const { status, title } = STATUS_BY_KIND[ERROR_CODES[code]];
  return {
    type: problemType(code),
    title,
    status,
    detail,
    code,
    ...(errors ? { errors } : {}),
  };
}

/**
 * The database cannot serve right now (unreachable, restarting, out of connections, a
 * statement that timed out): the request may succeed if retried, so 503, not 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const e = (typeof error === 'object' && error !== null ? error : {}) as ErrorWithFields;
  if (typeof e.name === 'string' && e.name.startsWith('SequelizeConnection')) return true;
  if (typeof e.name === 'string' && e.name.startsWith('SequelizeHost')) return true;
  const code = e.original?.code ?? e.parent?.code;
  if (typeof code === 'string') {
    // 08: connection exception; 53: insufficient resources; 57P0x: shutdown, crash, starting
    // up; 57014: statement timeout.
    if (/^(08|53|57P0)/.test(code) || code === '57014') return true;
    if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'].includes(code)) return true;
  }
  const message = e.original?.message ?? e.parent?.message;
  if (typeof message !== 'string') return false;
  return /Connection terminated|not queryable|timeout exceeded when trying to connect/i.test(
    message,
  );
}

interface ErrorWithFields {
  name?: unknown;
  status?: unknown;
  statusCode?: unknown;
  type?: unknown;
  expose?: unknown;
  message?: unknown;
  original?: { code?: unknown; message?: unknown };
  parent?: { code?: unknown; message?: unknown };
}

const expected = (code: ErrorCode, detail: string): MappedProblem => ({
  problem: problemOf(code, detail),
  unexpected: false,
});

/**
 * PostgreSQL errors that reach the top because no use case turned them into an AppError, by
 * SQLSTATE: each says something about the request, not about a fault of ours. The details
 * are generic: PostgreSQL's own message names tables, constraints and values.
 */
function databaseProblem(error: unknown): MappedProblem | undefined {
  const state = sqlState(error);
  if (state === '23505') return expected('already_exists', 'The resource already exists.');
  if (state === '23503') {
    return expected('unknown_reference', 'A referenced resource does not exist.');
  }
  if (isDataException(error)) {
    // Data exceptions (a date out of range, a number too large): the input, not the server.
    return expected('value_out_of_range', 'A value in the request is out of range.');
  }
  if (isTransactionRollback(error)) {
    // A serialization failure or a deadlock rolled the transaction back: nothing was written,
    // and the same request may simply be sent again.
    return expected(
      'transaction_conflict',
      'The request conflicted with a concurrent one and was not applied; retry it.',
    );
  }
  return undefined;
}

/**
 * The one place that turns any thrown value into problem+json: our AppError codes,
 * body-parser's client errors (4xx with `expose`), the database being unreachable, and
 * PostgreSQL errors that reach the top. Anything else is a 500 with a generic message.
 */
export function toProblem(error: unknown): MappedProblem {
  if (error instanceof AppError) {
    return {
      problem: problemOf(error.code, error.message, error.errors),
      unexpected: false,
      retryAfterSeconds: error.retryAfterSeconds,
    };
  }
  const e = (typeof error === 'object' && error !== null ? error : {}) as ErrorWithFields;
  const status = typeof e.status === 'number' ? e.status : e.statusCode;
  if (error instanceof URIError && status === 400) {
    // The router could not decode a path parameter (`/products/%E0%A4%A`).
    return expected('malformed_path', 'The path is not valid percent-encoded UTF-8.');
  }
  if (e.type === 'entity.too.large' || (status === 413 && e.expose === true)) {
    return expected('payload_too_large', 'The request body is larger than 100 kB.');
  }
  if (typeof status === 'number' && status >= 400 && status < 500 && e.expose === true) {
    const detail =
      e.type === 'entity.parse.failed' ? 'The request body is not valid JSON.' : String(e.message);
    return expected('malformed_body', detail);
  }
  if (isDatabaseUnavailable(error)) {
    return expected('unavailable', 'The service cannot reach its database; retry shortly.');
  }
  const fromDatabase = databaseProblem(error);
  if (fromDatabase) return fromDatabase;
  return { problem: problemOf('internal', 'An unexpected error occurred.'), unexpected: true };
}
