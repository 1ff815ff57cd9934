import type { Readiness } from '../../platform/graphql-http';
import type { Logger } from '../../platform/log';
import { circuitReadiness } from '../kit/resilience';
import type { BackendSettings } from '../kit/run-subgraph';
import { RestClient } from '../kit/rest-client';
import { createSubgraph, loadTypeDefs } from '../kit/subgraph-server';
import { CrmClient, type CustomersBackend } from './crm-client';
import { permissions } from './permissions';
import { resolvers, type CustomersContext } from './resolvers';

export const typeDefs = loadTypeDefs(__dirname);

/** The customers subgraph over any CustomersBackend; `newBackend` is called once per request. */
export function createCustomersSubgraph(options: { newBackend(): CustomersBackend; log: Logger; readiness?(): Readiness; close?(): Promise<void> }) {
  return createSubgraph<CustomersContext>({
    typeDefs,
    resolvers,
    permissions,
    log: options.log,
    readiness: options.readiness,
    close: options.close,
    backends: () => ({ customers: options.newBackend() }),
  });
}

/** The customers subgraph over the CRM at `url`, sharing one connection pool across requests. */
export function customersOverCrm({ url, connections, resilience, log }: BackendSettings) {
  const crm = new RestClient({ backend: 'CRM', baseUrl: url, connections, resilience, log });
  return createCustomersSubgraph({ newBackend: () => new CrmClient(crm), log, readiness: circuitReadiness(crm.policy), close: () => crm.close() });
}
