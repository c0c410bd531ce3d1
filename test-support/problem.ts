import { problemType } from '@marketplace/common';
import type { ErrorCode } from '@marketplace/common';
import type { Response } from 'supertest';

/** What an answer check reads: a supertest response, or a refused event stream (sse.ts). */
export type Answer = Pick<Response, 'status' | 'headers' | 'body'>;

/**
 * For supertest's `.expect()`: the answer is problem+json carrying this stable code, in the
 * `code` member and the `type` URI.
 */
export function problem(code: ErrorCode): (res: Answer) => void {
  return (res) => {
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code, type: problemType(code), status: res.status });
  };
}
