import type { Readiness } from '../../platform/graphql-http';
import type { Logger } from '../../platform/log';
import { LastGood, type StaleMarks } from '../kit/last-good';
import { circuitReadiness } from '../kit/resilience';
import type { BackendSettings } from '../kit/run-subgraph';
import { RestClient } from '../kit/rest-client';
import { openStore } from '../kit/store';
import { createSubgraph, loadTypeDefs } from '../kit/subgraph-server';
import { CrmClient, type CustomersBackend, type Customer } from './crm-client';
import { permissions } from './permissions';
import { resolvers, type CustomersContext } from './resolvers';

export const typeDefs = loadTypeDefs(__dirname);

/** The customers subgraph over any CustomersBackend; `newBackend` is called once per request. */
export function createCustomersSubgraph(options: {
  newBackend(stale: StaleMarks): CustomersBackend;
  log: Logger;
  readiness?(): Readiness;
  close?(): Promise<void>;
}) {
  return createSubgraph<CustomersContext>({
    name: 'customers',
    typeDefs,
    resolvers,
    permissions,
    log: options.log,
    readiness: options.readiness,
    close: options.close,
    backends: (stale) => ({ customers: options.newBackend(stale) }),
  });
}

/** The customers subgraph over the CRM at `url`, sharing one connection pool across requests. */
export function customersOverCrm({ url, connections, resilience, redisUrl, log }: BackendSettings) {
  const crm = new RestClient({ backend: 'CRM', baseUrl: url, connections, resilience, log });
  const lastGood = new LastGood<Customer | null>('CRM', openStore('customers-last-good', { redisUrl, log }), log);
  return createCustomersSubgraph({
    newBackend: (stale) => new CrmClient(crm, { lastGood, stale }),
    log,
    readiness: circuitReadiness(crm.policy),
    close: async () => {
      await crm.close();
      await lastGood.close();
    },
  });
}
