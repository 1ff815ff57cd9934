import { ConfigError } from './env';
import type { Logger } from './log';
import { createLogger } from './log';
import { startTracing } from './tracing';

/** What a started service hands back: where it listens and how to stop it. */
export interface RunningService {
  url: string;
  stop(): Promise<void>;
}

const SHUTDOWN_GRACE_MS = 10_000;

/**
 * The body of every `index.ts`: start the service, log where it listens, and stop it cleanly on SIGINT/SIGTERM.
 * A configuration error prints its message (naming the variable) and exits with status 2; any other start failure with 1.
 */
export function runService(name: string, start: (log: Logger) => Promise<RunningService>): void {
  const log = createLogger(name);
  const stopTracing = startTracing(name);
  let running: RunningService | undefined;
  let stopping = false;

  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    // A stuck connection must not keep the process alive past the grace period.
    setTimeout(() => {
      log.error('shutdown grace period exceeded, exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
    void (running?.stop() ?? Promise.resolve())
      // Spans of the last requests are flushed before the process goes.
      .then(() => stopTracing())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          log.error({ err: error }, 'error while shutting down');
          process.exit(1);
        },
      );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));

  start(log).then(
    (service) => {
      running = service;
      log.info({ url: service.url }, `${name} listening on ${service.url}`);
    },
    (error: unknown) => {
      if (error instanceof ConfigError) {
        process.stderr.write(`${name}: ${error.message}\n`);
        process.exit(2);
      }
      log.fatal({ err: error }, `${name} failed to start`);
      process.exit(1);
    },
  );
}
