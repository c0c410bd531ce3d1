import type { Server } from 'node:http';
import type { Logger } from './logger';

/**
 * SIGTERM/SIGINT once: run the steps in order (stop taking work, finish what is in flight,
 * close pools), then exit 0 — or 1 if a step failed.
 */
export function onShutdown(logger: Logger, steps: (() => unknown)[]): void {
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    try {
      for (const step of steps) await step();
      logger.info('stopped');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

/** Closes an HTTP server: no new connections, idle keep-alives dropped, in-flight requests finish. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

/** For main.ts: a failure before the service is up is printed with its stack, exit 1. */
export function exitOnStartupFailure(service: string) {
  return (error: unknown) => {
    const detail = error instanceof Error ? error.stack : String(error);
    process.stderr.write(`${service} failed to start: ${detail}\n`);
    process.exit(1);
  };
}
