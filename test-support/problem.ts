import { problemType } from '@marketplace/common';
import type { ErrorCode } from '@marketplace/common';
import type { Response } from 'supertest';

/**
 * For supertest's `.expect()`: the answer is problem+json carrying this stable code, in the
 * `code` member and the `type` URI.
 */
export function problem(code: ErrorCode): (res: Response) => void {
  return (res) => {
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code, type: problemType(code), status: res.status });
  };
}
