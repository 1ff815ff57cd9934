import { hostVar, portVar, readEnv } from '../../platform/env';
import { closeServer, listen } from '../../platform/http';
import type { Logger } from '../../platform/log';
import { runService } from '../../platform/run';
import { faultsFromEnv, type FaultSettings } from './faults';
import type { LegacyServer } from './legacy-server';

/**
 * Starts one legacy backend as a process: port from `<PREFIX>_PORT`, start-up faults from `<PREFIX>_LATENCY_MS`,
 * `<PREFIX>_ERROR_RATE` and `<PREFIX>_DOWN`.
 */
export function runBackend(
  name: string,
  envPrefix: string,
  defaultPort: number,
  create: (options: { log: Logger; faults: FaultSettings }) => LegacyServer | Promise<LegacyServer>,
): void {
  runService(name, async (log) => {
    const config = readEnv({ HOST: hostVar(), [`${envPrefix}_PORT`]: portVar(defaultPort) });
    const faults = faultsFromEnv(envPrefix);
    const backend = await create({ log, faults });
    const url = await listen(backend.server, config[`${envPrefix}_PORT`] as number, config.HOST);
    return { url, stop: () => closeServer(backend.server) };
  });
}
