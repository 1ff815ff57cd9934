import { legacyStateDir, readDataDir } from '../../platform/data-dir';
import { hostVar, portVar, readEnv } from '../../platform/env';
import { closeServer, listen } from '../../platform/http';
import type { Logger } from '../../platform/log';
import { runService } from '../../platform/run';
import { faultsFromEnv, type FaultSettings } from './faults';
import type { LegacyServer } from './legacy-server';

/** What a backend's factory gets. */
export interface BackendOptions {
  log: Logger;
  faults: FaultSettings;
  /** Where the backend keeps its changes over its seed (`<ATRIUM_DATA_DIR>/legacy/<name>`), so they survive a restart. */
  stateDir: string;
}

/**
 * Starts one legacy backend as a process: port from `<PREFIX>_PORT`, start-up faults from `<PREFIX>_LATENCY_MS`,
 * `<PREFIX>_ERROR_RATE` and `<PREFIX>_DOWN`, its data under `ATRIUM_DATA_DIR`.
 */
export function runBackend(
  name: string,
  envPrefix: string,
  defaultPort: number,
  create: (options: BackendOptions) => LegacyServer | Promise<LegacyServer>,
): void {
  runService(name, async (log) => {
    const config = readEnv({ HOST: hostVar(), [`${envPrefix}_PORT`]: portVar(defaultPort) });
    const faults = faultsFromEnv(envPrefix);
    const backend = await create({ log, faults, stateDir: legacyStateDir(readDataDir(), name) });
    const url = await listen(backend.server, config[`${envPrefix}_PORT`] as number, config.HOST);
    return { url, stop: () => closeServer(backend.server) };
  });
}
