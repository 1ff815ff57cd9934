import { legacyStateDir, readDataDir } from '../../platform/data-dir';
import { hostVar, portVar, readSettings, setting } from '../../platform/env';
import { closeServer, listen } from '../../platform/http';
import { runService } from '../../platform/run';
import { envName, findStandIn, portOf, readSubgraphList, standInVariables } from '../../schema/registry';
import { faultsFromEnv } from './faults';
import { standInOf } from './stand-in';

/**
 * `node dist/legacy/kit/main.js <backend>`: runs the stand-in of a backend of schema/subgraphs.json as a process:
 * port from `<BACKEND>_PORT` (by default the registry URL's), start-up faults from `<BACKEND>_LATENCY_MS`,
 * `<BACKEND>_ERROR_RATE` and `<BACKEND>_DOWN`, its data under `ATRIUM_DATA_DIR`.
 */
const name = process.argv[2] ?? 'backend';

runService(name, async (log) => {
  // A name schema/subgraphs.json does not list is a configuration error (exit 2), like a bad variable.
  const standIn = findStandIn(readSubgraphList(), name);
  const config = readSettings({ host: setting('HOST', hostVar()), port: setting(standInVariables(standIn).port, portVar(portOf(standIn.url))) });
  const faults = faultsFromEnv(envName(name));
  const backend = await standInOf(name)({ log, faults, stateDir: legacyStateDir(readDataDir(), name) });
  const url = await listen(backend.server, config.port, config.host);
  return { url, stop: () => closeServer(backend.server) };
});
