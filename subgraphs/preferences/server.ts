import type { Readiness } from '../../platform/graphql-http';
import type { Logger } from '../../platform/log';
import { circuitReadiness } from '../kit/resilience';
import type { BackendSettings } from '../kit/run-subgraph';
import { RestClient } from '../kit/rest-client';
import { createSubgraph, loadTypeDefs } from '../kit/subgraph-server';
import { PreferenceClient, type PreferencesBackend } from './preference-client';
import { permissions } from './permissions';
import { resolvers, type PreferencesContext } from './resolvers';

export const typeDefs = loadTypeDefs(__dirname);

/** The preferences subgraph over any PreferencesBackend; `newBackend` is called once per request. */
export function createPreferencesSubgraph(options: { newBackend(): PreferencesBackend; log: Logger; readiness?(): Readiness; close?(): Promise<void> }) {
  return createSubgraph<PreferencesContext>({
    typeDefs,
    resolvers,
    permissions,
    log: options.log,
    readiness: options.readiness,
    close: options.close,
    backends: () => ({ preferences: options.newBackend() }),
  });
}

/** The preferences subgraph over the preference service at `url`, sharing one connection pool across requests. */
export function preferencesOverStore({ url, connections, resilience, log }: BackendSettings) {
  const store = new RestClient({ backend: 'preference service', baseUrl: url, connections, resilience, log });
  return createPreferencesSubgraph({
    newBackend: () => new PreferenceClient(store),
    log,
    readiness: circuitReadiness(store.policy),
    close: () => store.close(),
  });
}
