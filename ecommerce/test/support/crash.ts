import { exitOnFatalErrors } from '../../../common/src/lifecycle';
import { createLogger } from '../../../common/src/logger';

/**
 * A process wired as main.ts wires a service (its logger, writing asynchronously to stdout,
 * and the fatal-error handlers), kept alive by its stdin, that fails as argv[2] says when a
 * line arrives there: the test sends it once it has read `ready`.
 */
const logger = createLogger({ name: 'ecommerce', level: 'info' });
exitOnFatalErrors(logger);

const failures: Record<string, () => void> = {
  'an uncaught exception': () => {
    throw new Error('boom');
  },
  'an unhandled rejection': () => {
    void Promise.reject(new Error('nope'));
  },
};
process.stdin.once('data', failures[process.argv[2]!]!);
logger.info('ready');
