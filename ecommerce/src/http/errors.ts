import { AppError, toProblem } from '@marketplace/common';
import type { ErrorRequestHandler, RequestHandler } from 'express';

export const notFound: RequestHandler = (req) => {
  throw new AppError('not_found', `No route for ${req.method} ${req.path}.`);
};

/**
 * Every error leaves as application/problem+json. Request errors are the caller's and are not
 * logged as failures; anything unexpected is a generic 500, logged once with its stack.
 */
export const problemHandler: ErrorRequestHandler = (error, req, res, next) => {
  if (res.headersSent) {
    next(error);
    return;
  }
  const { problem, unexpected } = toProblem(error);
  if (unexpected) req.log.error({ err: error }, 'unhandled error');
  if (problem.status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
  res.status(problem.status).type('application/problem+json').json(problem);
};
