import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, intVar, readEnv } from './env';
import { withdrawReadiness } from './http';
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
 * `SHUTDOWN_DELAY_MS`: how long a signalled service goes on serving after its `/ready` turned 503, before it stops
 * listening. Behind a load balancer that checks `/ready` (HAProxy's checks, Kubernetes' endpoints), set it above the
 * time the balancer takes to notice, so no request is sent to a closed port; 0 (no balancer in front) stops at once.
 * It counts within `SHUTDOWN_GRACE_MS`.
 */
export const shutdownDelayVar = () => intVar(0, 0, 60_000);

/**
 * The body of every process entry (`index.ts`, `main.ts`): start the service, log where it listens, and on SIGINT/SIGTERM stop it (the service
 * withdraws readiness, serves on for `SHUTDOWN_DELAY_MS`, then refuses new connections and drains) within `SHUTDOWN_GRACE_MS`, then exit 0 — or 1 past the
 * grace period or on a failed stop. This is the only signal handler: Apollo's own is turned off everywhere.
 * A configuration error prints its message (naming the variable) and exits with status 2; any other start failure with 1.
 */
export function runService(name: string, start: (log: Logger) => Promise<RunningService>): void {
  let settings;
  try {
    settings = readEnv({ SHUTDOWN_GRACE_MS: shutdownGraceVar(), SHUTDOWN_DELAY_MS: shutdownDelayVar(), LOG_LEVEL: logLevelVar() });
    if (settings.SHUTDOWN_DELAY_MS >= settings.SHUTDOWN_GRACE_MS) {
      throw new ConfigError(
        `SHUTDOWN_DELAY_MS (${settings.SHUTDOWN_DELAY_MS}) must be below SHUTDOWN_GRACE_MS (${settings.SHUTDOWN_GRACE_MS}): the delay counts within the grace period`,
      );
    }
  } catch (error) {
    process.stderr.write(`${name}: ${(error as Error).message}\n`);
    process.exit(2);
  }
  const graceMs = settings.SHUTDOWN_GRACE_MS;
  const delayMs = settings.SHUTDOWN_DELAY_MS;
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
    log.info({ signal, graceMs, delayMs }, 'shutting down');
    withdrawReadiness();
    // Exiting closes whatever connection is still open: a stuck request must not keep the process alive.
    setTimeout(() => {
      log.error({ graceMs }, 'shutdown grace period exceeded; closing the remaining connections');
      process.exit(1);
    }, graceMs).unref();
    // A signal during start-up stops the service once it has started.
    void started
      .then(async (service) => {
        // Still serving while load balancers see /ready fail and take this process out of rotation.
        if (delayMs > 0) await sleep(delayMs);
        await service.stop();
      })
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
