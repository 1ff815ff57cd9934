import { defineSubgraph } from '../kit/define-subgraph';
import { loadTypeDefs } from '../kit/subgraph-server';
import { PreferenceClient } from './preference-client';
import { permissions } from './permissions';
import { resolvers, type PreferencesContext } from './resolvers';

/** The preferences subgraph over the preference service's REST API; updates are partial and safe to repeat. */
export default defineSubgraph({
  backend: { kind: 'rest', label: 'preference service' },
  // With ENTITY_CACHE=on, preferences stay fresh for 30 seconds (as their cache hint says).
  freshForMs: 30_000,
  typeDefs: loadTypeDefs(__dirname),
  resolvers,
  permissions,
  adapters: (store, request): PreferencesContext => ({ preferences: new PreferenceClient(store.client, store.memory(request), request.signal) }),
});
