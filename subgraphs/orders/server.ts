import type { Readiness } from '../../platform/graphql-http';
import type { Logger } from '../../platform/log';
import { circuitReadiness } from '../kit/resilience';
import type { BackendSettings } from '../kit/run-subgraph';
import { SoapClient } from '../kit/soap-client';
import { createSubgraph, loadTypeDefs } from '../kit/subgraph-server';
import { ErpClient, type OrdersBackend } from './erp-client';
import { permissions } from './permissions';
import { resolvers, type OrdersContext } from './resolvers';

export const typeDefs = loadTypeDefs(__dirname);

/** The orders subgraph over any OrdersBackend; `newBackend` is called once per request. */
export function createOrdersSubgraph(options: { newBackend(): OrdersBackend; log: Logger; readiness?(): Readiness; close?(): Promise<void> }) {
  return createSubgraph<OrdersContext>({
    typeDefs,
    resolvers,
    permissions,
    log: options.log,
    readiness: options.readiness,
    close: options.close,
    backends: () => ({ orders: options.newBackend() }),
  });
}

/** The orders subgraph over the ERP at `url`, sharing one connection pool across requests. */
export function ordersOverErp({ url, connections, resilience, log }: BackendSettings) {
  const erp = new SoapClient({ backend: 'ERP', endpoint: url, connections, resilience, log });
  return createOrdersSubgraph({ newBackend: () => new ErpClient(erp), log, readiness: circuitReadiness(erp.policy), close: () => erp.close() });
}
