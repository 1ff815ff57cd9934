import { join } from 'node:path';
import type { Logger } from '../../platform/log';
import { RegistryError } from '../../schema/registry';
import type { FaultSettings } from './faults';
import type { LegacyServer } from './legacy-server';

/** What a backend's stand-in is made with. */
export interface BackendOptions {
  log: Logger;
  faults: FaultSettings;
  /** Where the backend keeps its changes over its seed (`<ATRIUM_DATA_DIR>/legacy/<name>`), so they survive a restart. */
  stateDir: string;
  /** Where the stand-in reads its own variables (`HELPDESK_WEBHOOK_URL`, `ERP_FULFILMENT_PACE`…), once, as it starts: process.env by default. */
  env?: NodeJS.ProcessEnv;
}

/** A stand-in backend's factory: the default export of its `legacy/<name>/server.ts`. */
export type CreateStandIn = (options: BackendOptions) => LegacyServer | Promise<LegacyServer>;

/** The stand-in of backend `name` of schema/subgraphs.json, from `legacy/<name>/server.ts`. */
export function standInOf(name: string): CreateStandIn {
  // Which backend runs is known only at run time; require finds the compiled .js in dist/ and the .ts under Jest alike.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded = require(join(__dirname, '..', name, 'server')) as { default?: unknown };
  if (typeof loaded.default !== 'function') throw new RegistryError(`legacy/${name}/server.ts must export its stand-in's factory as default`);
  return loaded.default as CreateStandIn;
}
