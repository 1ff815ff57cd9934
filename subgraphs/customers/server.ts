import { linkBackend } from '../kit/backend-link';
import { RestClient } from '../kit/rest-client';
import type { BackendSettings } from '../kit/run-subgraph';
import { createSubgraph, loadTypeDefs, type SubgraphOptions } from '../kit/subgraph-server';
import { CrmClient, type Customer, type CustomersBackend } from './crm-client';
import { permissions } from './permissions';
import { resolvers, type CustomersContext } from './resolvers';

export const typeDefs = loadTypeDefs(__dirname);

/** With `ENTITY_CACHE=on`, customers stay fresh for a minute (as their cache hint says). */
const FRESH_FOR_MS = 60_000;

/** The customers subgraph over any CustomersBackend; `newBackend` is called once per request. */
export function createCustomersSubgraph(options: SubgraphOptions<CustomersBackend>) {
  return createSubgraph<CustomersContext>({
    ...options,
    name: 'customers',
    typeDefs,
    resolvers,
    permissions,
    backends: (request) => ({ customers: options.newBackend(request) }),
  });
}

/** The customers subgraph over the CRM at `url`, sharing one connection pool across requests. */
export function customersOverCrm(settings: BackendSettings) {
  const crm = linkBackend<RestClient, Customer | null>(
    'customers',
    new RestClient({ ...settings, backend: 'CRM', baseUrl: settings.url }),
    settings,
    FRESH_FOR_MS,
  );
  return createCustomersSubgraph({
    newBackend: ({ stale, signal }) => new CrmClient(crm.client, { lastGood: crm.lastGood, fresh: crm.fresh, stale }, signal),
    log: settings.log,
    readiness: crm.readiness,
    close: crm.close,
  });
}
