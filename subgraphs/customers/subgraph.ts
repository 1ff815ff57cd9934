import { defineSubgraph } from '../kit/define-subgraph';
import { loadTypeDefs } from '../kit/subgraph-server';
import { CrmClient } from './crm-client';
import { permissions } from './permissions';
import { resolvers, type CustomersContext } from './resolvers';

/** The customers subgraph over the CRM's REST API: it owns the Customer entity. */
export default defineSubgraph({
  backend: { kind: 'rest', label: 'CRM' },
  // With ENTITY_CACHE=on, customers stay fresh for a minute (as their cache hint says).
  freshForMs: 60_000,
  typeDefs: loadTypeDefs(__dirname),
  resolvers,
  permissions,
  adapters: (crm, request): CustomersContext => ({ customers: new CrmClient(crm.client, crm.memory(request), request.signal) }),
});
