import { isDataException } from './database';

/** The closed set of failures a request can end in; the HTTP layer maps each to a status. */
export type AppErrorKind =
  | 'validation'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'unprocessable'
  | 'payload_too_large'
  | 'too_many_requests'
  | 'unavailable';

export interface FieldError {
  path: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly kind: AppErrorKind,
    message: string,
    readonly errors?: FieldError[],
    /** Sent as `Retry-After` (seconds) with a 429 or 503. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'AppError';
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
  unavailable: { status: 503, title: 'Service Unavailable' },
};

/** RFC 9457 problem details. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
}

export interface MappedProblem {
  problem: Problem;
  /** true when the failure is ours, not the caller's: log it with its stack. */
  unexpected: boolean;
  retryAfterSeconds?: number | undefined;
}

function problemOf(kind: AppErrorKind, detail: string, errors?: FieldError[]): Problem {
  const { status, title } = STATUS_BY_KIND[kind];
  return { type: 'about:blank', title, status, detail, ...(errors ? { errors } : {}) };
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

/**
 * The one place that turns any thrown value into problem+json: our AppError kinds,
 * body-parser's client errors (4xx with `expose`), and PostgreSQL constraint errors
 * that reach the top. Anything else is a 500 with a generic message.
 */
export function toProblem(error: unknown): MappedProblem {
  if (error instanceof AppError) {
    return {
      problem: problemOf(error.kind, error.message, error.errors),
      unexpected: false,
      retryAfterSeconds: error.retryAfterSeconds,
    };
  }
  const e = (typeof error === 'object' && error !== null ? error : {}) as ErrorWithFields;
  const status = typeof e.status === 'number' ? e.status : e.statusCode;
  if (error instanceof URIError && status === 400) {
    // The router could not decode a path parameter (`/products/%E0%A4%A`).
    return {
      problem: problemOf('validation', 'The path is not valid percent-encoded UTF-8.'),
      unexpected: false,
    };
  }
  if (e.type === 'entity.too.large') {
    return {
      problem: problemOf('payload_too_large', 'The request body is larger than 100 kB.'),
      unexpected: false,
    };
  }
  if (typeof status === 'number' && status >= 400 && status < 500 && e.expose === true) {
    const detail =
      e.type === 'entity.parse.failed' ? 'The request body is not valid JSON.' : String(e.message);
    const kind: AppErrorKind = status === 413 ? 'payload_too_large' : 'validation';
    return { problem: problemOf(kind, detail), unexpected: false };
  }
  if (isDatabaseUnavailable(error)) {
    return {
      problem: problemOf('unavailable', 'The service cannot reach its database; retry shortly.'),
      unexpected: false,
    };
  }
  const pgCode = e.original?.code ?? e.parent?.code;
  if (pgCode === '23505') {
    return { problem: problemOf('conflict', 'The resource already exists.'), unexpected: false };
  }
  if (isDataException(error)) {
    // Data exceptions (a date out of range, a number too large): the input, not the server.
    return {
      problem: problemOf('validation', 'A value in the request is out of range.'),
      unexpected: false,
    };
  }
  if (pgCode === '23503') {
    return {
      problem: problemOf('unprocessable', 'A referenced resource does not exist.'),
      unexpected: false,
    };
  }
  return {
    problem: {
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      detail: 'An unexpected error occurred.',
    },
    unexpected: true,
  };
}
