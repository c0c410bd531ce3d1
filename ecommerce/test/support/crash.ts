import { exitOnFatalErrors } from '../../../common/src/lifecycle';
import { createLogger } from '../../../common/src/logger';

/**
 * A process wired as main.ts wires a service (its logger, writing asynchronously to stdout,
 * and the fatal-error handlers), kept alive, that then fails as argv[2] says.
 */
const logger = createLogger({ name: 'ecommerce', level: 'info' });
exitOnFatalErrors(logger);
setInterval(() => undefined, 1000);
logger.info('ready');

const failures: Record<string, () => void> = {
  'an uncaught exception': () => {
    throw new Error('boom');
  },
  'an unhandled rejection': () => {
    void Promise.reject(new Error('nope'));
  },
};
setTimeout(failures[process.argv[2]!]!, 10);
