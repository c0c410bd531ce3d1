import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { Logger } from './logger';

/**
 * One step of a graceful stop; a bare function is named by its position. `closesConnection`:
 * the step only closes a client of a dependency (a pool, Redis, SQS), so its failure — the
 * dependency is down — loses nothing and does not make the exit code 1.
 */
export type ShutdownStep = (() => unknown) | NamedShutdownStep;

export interface NamedShutdownStep {
  name: string;
  run: () => unknown;
  closesConnection?: boolean;
}

/**
 * SIGTERM/SIGINT once: run the steps in order (stop taking work, finish what is in flight,
 * close pools), then exit.
 *
 * - A step that fails is logged and the next ones still run (one broken pool must not keep
 *   the others open); the exit code is then 1, unless the step only closed a connection.
 * - The whole stop has a deadline (`timeoutMs`, SHUTDOWN_TIMEOUT_MS): when it passes — a
 *   dependency that is down makes its close, or the drain waiting on it, hang — the step still
 *   running is logged by name and the process exits 0. Abandoning work at that point is safe by
 *   design: an unfinished transaction rolls back, an unpublished outbox row stays pending for
 *   the next relay, an SQS message not deleted comes back after its visibility timeout.
 */
export function onShutdown(
  logger: Logger,
  steps: ShutdownStep[],
  options: { timeoutMs: number },
): void {
  const { timeoutMs } = options;
  const named = steps.map((step, i) =>
    typeof step === 'function' ? { name: `step ${i + 1}`, run: step } : step,
  );
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, timeout_ms: timeoutMs }, 'shutting down');
    let current = named[0]?.name;
    const deadline = setTimeout(() => {
      const pending = named.slice(named.findIndex((step) => step.name === current) + 1);
      logger.error(
        { step: current, skipped: pending.map((step) => step.name), timeout_ms: timeoutMs },
        'shutdown deadline passed; exiting with work abandoned safely',
      );
      process.exit(0);
    }, timeoutMs);
    let failed = false;
    for (const step of named) {
      current = step.name;
      try {
        await step.run();
      } catch (error) {
        if ('closesConnection' in step && step.closesConnection) {
          logger.warn({ step: step.name, err: error }, 'closing a connection failed');
        } else {
          failed = true;
          logger.error({ step: step.name, err: error }, 'shutdown step failed');
        }
      }
    }
    clearTimeout(deadline);
    logger.info(failed ? 'stopped with errors' : 'stopped');
    process.exit(failed ? 1 : 0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

/**
 * An exception nobody caught or a rejection nobody handled leaves the process in an unknown
 * state: one `fatal` line with the error, then exit 1 so the supervisor restarts it.
 */
export function exitOnFatalErrors(logger: Logger): void {
  const die = (kind: string) => (error: unknown) => {
    logger.fatal({ err: error }, kind);
    process.exit(1);
  };
  process.on('uncaughtException', die('uncaught exception'));
  process.on('unhandledRejection', die('unhandled rejection'));
}

const inFlight = new WeakMap<Server, Set<ServerResponse>>();

/**
 * An HTTP server for a service: like `http.createServer`, and it knows its responses in
 * flight, so that `closeServer` can end their keep-alive connections too.
 */
export function createHttpServer(handler: RequestListener): Server {
  const server = createServer(handler);
  const responses = new Set<ServerResponse>();
  inFlight.set(server, responses);
  server.prependListener('request', (_req, res) => {
    responses.add(res);
    res.once('close', () => responses.delete(res));
  });
  return server;
}

/**
 * Closes an HTTP server: no new connections, idle keep-alives dropped, in-flight requests
 * finish. A client that keeps sending on its open keep-alive connection would hold the server
 * open until the shutdown deadline: from now on every response (those in flight whose headers
 * are not sent yet, and every later one) says `Connection: close`, so each connection ends
 * after the request it is serving.
 */
export function closeServer(server: Server): Promise<void> {
  const closeAfterResponse = (res: ServerResponse) => {
    if (!res.headersSent) res.setHeader('Connection', 'close');
  };
  return new Promise((resolve) => {
    inFlight.get(server)?.forEach(closeAfterResponse);
    server.prependListener('request', (_req, res) => closeAfterResponse(res));
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
