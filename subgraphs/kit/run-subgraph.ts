import type { BaseContext } from '@apollo/server';
import { hostVar, intVar, portVar, readEnv, urlVar } from '../../platform/env';
import type { Logger } from '../../platform/log';
import { runService } from '../../platform/run';
import { serveSubgraph, type Subgraph } from './serve';

/** How a subgraph reaches its backend, as read from the environment. */
export interface BackendSettings {
  url: string;
  timeoutMs: number;
  connections: number;
  log: Logger;
}

/**
 * The body of a subgraph's `index.ts`. Reads `HOST`, `<portVar>`, `<backendUrlVar>`, `BACKEND_TIMEOUT_MS` and
 * `BACKEND_CONNECTIONS` once, builds the subgraph and serves it until SIGINT/SIGTERM.
 */
export function runSubgraph<TContext extends BaseContext>(options: {
  name: string;
  port: { variable: string; default: number };
  backendUrl: { variable: string; default: string };
  create(backend: BackendSettings): Subgraph<TContext>;
}): void {
  runService(options.name, async (log) => {
    const config = readEnv({
      HOST: hostVar(),
      [options.port.variable]: portVar(options.port.default),
      [options.backendUrl.variable]: urlVar(options.backendUrl.default),
      BACKEND_TIMEOUT_MS: intVar(5_000, 1, 120_000),
      BACKEND_CONNECTIONS: intVar(32, 1, 1_024),
    });
    const subgraph = options.create({
      url: config[options.backendUrl.variable] as string,
      timeoutMs: config.BACKEND_TIMEOUT_MS,
      connections: config.BACKEND_CONNECTIONS,
      log,
    });
    return serveSubgraph(subgraph, { port: config[options.port.variable] as number, host: config.HOST, log });
  });
}
