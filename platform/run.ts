import { ConfigError, intVar, readEnv } from './env';
import { createLogger, logLevelVar, type Logger } from './log';
import { startTracing } from './tracing';

/** What a started service hands back: where it listens and how to stop it. */
export interface RunningService {
  url: string;
  stop(): Promise<void>;
}

/**
 * `SHUTDOWN_GRACE_MS`: how long a signalled service lets accepted requests finish before it closes what is left and
 * exits 1. Above the gateway's default request deadline (15 s), so any request it accepted can run to its end; below
 * the usual 30 s an orchestrator waits before SIGKILL.
 */
export const shutdownGraceVar = () => intVar(20_000, 100, 600_000);

/**
 * The body of every process entry (`index.ts`, `main.ts`): start the service, log where it listens, and on SIGINT/SIGTERM stop it (the service
 * withdraws readiness, refuses new connections and drains) within `SHUTDOWN_GRACE_MS`, then exit 0 — or 1 past the
 * grace period or on a failed stop. This is the only signal handler: Apollo's own is turned off everywhere.
 * A configuration error prints its message (naming the variable) and exits with status 2; any other start failure with 1.
 */
export function runService(name: string, start: (log: Logger) => Promise<RunningService>): void {
  let settings;
  try {
    settings = readEnv({ SHUTDOWN_GRACE_MS: shutdownGraceVar(), LOG_LEVEL: logLevelVar() });
  } catch (error) {
    process.stderr.write(`${name}: ${(error as Error).message}\n`);
    process.exit(2);
  }
  const graceMs = settings.SHUTDOWN_GRACE_MS;
  const log = createLogger(name, settings.LOG_LEVEL);
  // Registered before the service starts, so its first request is traced too.
  const tracing = startTracing(name);
  let stopping = false;

  const started = tracing.then(() => start(log));
  started.then(
    (service) => log.info({ url: service.url }, `${name} listening on ${service.url}`),
    (error: unknown) => {
      if (error instanceof ConfigError) {
        process.stderr.write(`${name}: ${error.message}\n`);
        process.exit(2);
      }
      log.fatal({ err: error }, `${name} failed to start`);
      process.exit(1);
    },
  );

  const shutdown = (signal: NodeJS.Signals) => {
    // Later signals change nothing: Ctrl-C reaches a cluster's workers both from the terminal and from their primary.
    // Who will not wait sends SIGKILL (as the launcher's second Ctrl-C does); the grace period bounds the rest.
    if (stopping) return;
    stopping = true;
    log.info({ signal, graceMs }, 'shutting down');
    // Exiting closes whatever connection is still open: a stuck request must not keep the process alive.
    setTimeout(() => {
      log.error({ graceMs }, 'shutdown grace period exceeded; closing the remaining connections');
      process.exit(1);
    }, graceMs).unref();
    // A signal during start-up stops the service once it has started.
    void started
      .then((service) => service.stop())
      // Spans of the last requests are flushed before the process goes.
      .then(() => tracing)
      .then((stopTracing) => stopTracing())
      .then(
        () => {
          log.info('stopped');
          process.exit(0);
        },
        (error: unknown) => {
          log.error({ err: error }, 'error while shutting down');
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}
