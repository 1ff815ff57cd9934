import { linkBackend } from '../kit/backend-link';
import { RestClient } from '../kit/rest-client';
import type { BackendSettings } from '../kit/run-subgraph';
import { createSubgraph, loadTypeDefs, type SubgraphOptions } from '../kit/subgraph-server';
import { PreferenceClient, type Preferences, type PreferencesBackend } from './preference-client';
import { permissions } from './permissions';
import { resolvers, type PreferencesContext } from './resolvers';

export const typeDefs = loadTypeDefs(__dirname);

/** With `ENTITY_CACHE=on`, preferences stay fresh for 30 seconds (as their cache hint says). */
const FRESH_FOR_MS = 30_000;

/** The preferences subgraph over any PreferencesBackend; `newBackend` is called once per request. */
export function createPreferencesSubgraph(options: SubgraphOptions<PreferencesBackend>) {
  return createSubgraph<PreferencesContext>({
    ...options,
    name: 'preferences',
    typeDefs,
    resolvers,
    permissions,
    backends: (request) => ({ preferences: options.newBackend(request) }),
  });
}

/** The preferences subgraph over the preference service at `url`, sharing one connection pool across requests. */
export function preferencesOverStore(settings: BackendSettings) {
  const store = linkBackend<RestClient, Preferences | null>(
    'preferences',
    new RestClient({ ...settings, backend: 'preference service', baseUrl: settings.url }),
    settings,
    FRESH_FOR_MS,
  );
  return createPreferencesSubgraph({
    newBackend: ({ stale, signal }) => new PreferenceClient(store.client, { lastGood: store.lastGood, fresh: store.fresh, stale }, signal),
    ...store,
    log: settings.log,
  });
}
