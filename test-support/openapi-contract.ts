import type { Server } from 'node:http';
import Ajv from 'ajv';
import type { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import request from 'supertest';
import type { Response } from 'supertest';

/**
 * Holds every response a test gets through supertest to the OpenAPI document the same app
 * publishes at /openapi.json: the operation must declare the status, the headers it declares
 * as required must be there, the content type must be one it declares for that status, and the
 * body must match its schema (and carry no member the schema does not name). A request no
 * operation declares must get the 404 problem. The body parsers run before routing, so a
 * request with a body an operation does not take (or that no operation declares) may also get
 * their 400 or 413 problem. A mismatch fails the request as a failed `.expect()` would.
 * Installed for a Jest project by `setupFilesAfterEnv` (see jest-project.js).
 */

interface MediaType {
  schema?: object;
}
interface Header {
  required?: boolean;
  schema?: { type?: string };
}
interface Operation {
  requestBody?: object;
  responses: Record<
    string,
    { content?: Record<string, MediaType>; headers?: Record<string, Header> }
  >;
}
interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
}

/**
 * Served beside the document, not described by it: the document itself, Swagger UI, and the
 * queue dashboard's own assets and API (the dashboard page is described).
 */
const UNDESCRIBED = [/^\/openapi\.json$/, /^\/docs(\/|$)/, /^\/admin\/queues\/./];

const JSON_TYPE = /^application\/(.+\+)?json$/;
const PROBLEM_TYPE = 'application/problem+json';
/** A body that cannot be read (malformed, badly encoded) or is over 100 kB. */
const BODY_PARSER_STATUSES = [400, 413];

const pointer = (...parts: string[]) =>
  parts.map((part) => encodeURIComponent(part.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');

/** Object schemas closed: a response member the document does not name is drift too. */
function closeObjects(schema: unknown): void {
  if (Array.isArray(schema)) {
    schema.forEach(closeObjects);
    return;
  }
  if (typeof schema !== 'object' || schema === null) return;
  const node = schema as Record<string, unknown>;
  if (node.type === 'object' && node.properties && node.additionalProperties === undefined) {
    node.additionalProperties = false;
  }
  Object.values(node).forEach(closeObjects);
}

class Contract {
  private readonly ajv = new Ajv({ allErrors: true, strict: true });
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly operations: { method: string; path: string; pattern: RegExp }[];

  constructor(private readonly document: OpenApiDocument) {
    addFormats(this.ajv);
    // Keys of the document and annotations of its schemas that are not validation keywords.
    for (const keyword of ['openapi', 'info', 'servers', 'paths', 'components', 'example']) {
      this.ajv.addKeyword(keyword);
    }
    closeObjects(document);
    this.ajv.addSchema(document, 'openapi');
    // Literal paths before templated ones: /purchase/history is not /purchase/{id}.
    this.operations = Object.entries(document.paths)
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ method, path })))
      .sort((a, b) => a.path.split('{').length - b.path.split('{').length)
      .map((op) => ({
        ...op,
        // Express matches case-insensitively and with or without a trailing slash.
        pattern: new RegExp(`^${op.path.replace(/\{[^}]+\}/g, '[^/]+')}/?$`, 'i'),
      }));
  }

  private validator(...parts: string[]): ValidateFunction {
    const ref = `openapi#/${pointer(...parts)}`;
    let validate = this.validators.get(ref);
    if (!validate) {
      validate = this.ajv.getSchema(ref);
      if (!validate) throw new Error(`no schema at ${ref}`);
      this.validators.set(ref, validate);
    }
    return validate;
  }

  private isProblem(res: Response, statuses: number[]): boolean {
    const validate = this.validator('components', 'schemas', 'Problem');
    return statuses.includes(res.status) && res.type === PROBLEM_TYPE && validate(res.body);
  }

  /** What is wrong with this response, or undefined when the document allows it. */
  problem(method: string, path: string, sentBody: boolean, res: Response): string | undefined {
    const operation = this.operations.find(
      (op) => op.method === method.toLowerCase() && op.pattern.test(path),
    );
    if (!operation) {
      if (this.isProblem(res, sentBody ? [404, ...BODY_PARSER_STATUSES] : [404])) return undefined;
      return `no operation is declared for it, so it must be the 404 problem (got ${res.status} ${res.type})`;
    }
    const declared = this.document.paths[operation.path]![operation.method]!;
    const response = declared.responses[String(res.status)];
    if (!response && sentBody && !declared.requestBody) {
      if (this.isProblem(res, BODY_PARSER_STATUSES)) return undefined;
    }
    if (!response) {
      return `${res.status} is not a declared response of ${method} ${operation.path} (${Object.keys(declared.responses).join(', ')})`;
    }
    for (const [name, header] of Object.entries(response.headers ?? {})) {
      const value = res.headers[name.toLowerCase()];
      if (value === undefined) {
        if (header.required) return `the ${res.status} lacks its ${name} header`;
        continue;
      }
      const numeric = header.schema?.type === 'integer' || header.schema?.type === 'number';
      if (numeric && !Number.isFinite(Number(value))) {
        return `its ${name} header is not a number: ${value}`;
      }
    }
    if (!response.content) {
      return res.text ? `a ${res.status} of ${operation.path} declares no body` : undefined;
    }
    const contentType = Object.keys(response.content).find(
      (type) => type.split(';')[0]!.trim() === res.type,
    );
    if (!contentType) {
      return `content type ${res.type || '(none)'} is not declared for ${res.status} (${Object.keys(response.content).join(', ')})`;
    }
    const validate = this.validator(
      'paths',
      operation.path,
      operation.method,
      'responses',
      String(res.status),
      'content',
      contentType,
      'schema',
    );
    const body: unknown = JSON_TYPE.test(res.type) ? res.body : res.text;
    return validate(body) ? undefined : this.ajv.errorsText(validate.errors, { dataVar: 'body' });
  }
}

/**
 * Each app's document, read once (a test builds an app, then makes many requests to it). An
 * app that publishes none (a test's own bare Express app) is not checked.
 */
const contracts = new WeakMap<object, Promise<Contract | undefined>>();

function contractOf(target: unknown): Promise<Contract | undefined> {
  // supertest wraps an Express app in an http.Server per request(app): key by the app.
  const app =
    typeof target === 'object' && target !== null && 'listeners' in target
      ? ((target as Server).listeners('request')[0] as object | undefined)
      : undefined;
  if (!app) return Promise.resolve(undefined);
  let contract = contracts.get(app);
  if (!contract) {
    contract = request(app as Parameters<typeof request>[0])
      .get('/openapi.json')
      .then((res) => (res.status === 200 ? new Contract(res.body as OpenApiDocument) : undefined));
    contracts.set(app, contract);
  }
  return contract;
}

/** The request as it went out: its path not normalised (`/seller/..` stays), its headers. */
interface SentRequest {
  method: string;
  path: string;
  getHeader(name: string): unknown;
}

async function check(test: request.Test, res: Response): Promise<void> {
  const sent = (res as unknown as { req: SentRequest }).req;
  const method = sent.method;
  const path = sent.path.split('?')[0]!;
  const sentBody =
    sent.getHeader('content-type') !== undefined || Number(sent.getHeader('content-length')) > 0;
  // A CORS preflight is answered by the cors middleware, before any route.
  if (method === 'OPTIONS' || UNDESCRIBED.some((pattern) => pattern.test(path))) return;
  const contract = await contractOf(test.app);
  const problem = contract?.problem(method, path, sentBody, res);
  if (problem) {
    const body = JSON.stringify(res.body ?? res.text).slice(0, 500);
    throw new Error(
      `${method} ${path} answered ${res.status} outside the OpenAPI document: ${problem}\n  body: ${body}`,
    );
  }
}

/** Every supertest request of this test file is checked once its own assertions pass. */
export function checkResponsesAgainstOpenApi(): void {
  const prototype = request.Test.prototype;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with each Test as `this`
  const end = prototype.end;
  prototype.end = function (this: request.Test, callback) {
    if (!callback) return end.call(this);
    return end.call(this, (error, res) => {
      if (error || !res) {
        callback(error, res);
        return;
      }
      check(this, res).then(
        () => callback(null, res),
        (problem: unknown) => callback(problem, res),
      );
    });
  };
}
