import type { Readiness } from '../../platform/graphql-http';
import type { Logger } from '../../platform/log';
import { LastGood, type StaleMarks } from '../kit/last-good';
import { circuitReadiness } from '../kit/resilience';
import type { BackendSettings } from '../kit/run-subgraph';
import { RestClient } from '../kit/rest-client';
import { openStore } from '../kit/store';
import { createSubgraph, loadTypeDefs } from '../kit/subgraph-server';
import { PreferenceClient, type PreferencesBackend, type Preferences } from './preference-client';
import { permissions } from './permissions';
import { resolvers, type PreferencesContext } from './resolvers';

export const typeDefs = loadTypeDefs(__dirname);

/** The preferences subgraph over any PreferencesBackend; `newBackend` is called once per request. */
export function createPreferencesSubgraph(options: {
  newBackend(stale: StaleMarks): PreferencesBackend;
  log: Logger;
  readiness?(): Readiness;
  close?(): Promise<void>;
}) {
  return createSubgraph<PreferencesContext>({
    name: 'preferences',
    typeDefs,
    resolvers,
    permissions,
    log: options.log,
    readiness: options.readiness,
    close: options.close,
    backends: (stale) => ({ preferences: options.newBackend(stale) }),
  });
}

/** The preferences subgraph over the preference service at `url`, sharing one connection pool across requests. */
export function preferencesOverStore({ url, connections, resilience, redisUrl, log }: BackendSettings) {
  const store = new RestClient({ backend: 'preference service', baseUrl: url, connections, resilience, log });
  const lastGood = new LastGood<Preferences | null>('preference service', openStore('preferences-last-good', { redisUrl, log }), log);
  return createPreferencesSubgraph({
    newBackend: (stale) => new PreferenceClient(store, { lastGood, stale }),
    log,
    readiness: circuitReadiness(store.policy),
    close: async () => {
      await store.close();
      await lastGood.close();
    },
  });
}
