import type { Logger } from '../../platform/log';
import type { BackendSettings } from '../kit/run-subgraph';
import { SoapClient } from '../kit/soap-client';
import { createSubgraph, loadTypeDefs } from '../kit/subgraph-server';
import { ErpClient, type OrdersBackend } from './erp-client';
import { permissions } from './permissions';
import { resolvers, type OrdersContext } from './resolvers';

export const typeDefs = loadTypeDefs(__dirname);

/** The orders subgraph over any OrdersBackend; `newBackend` is called once per request. */
export function createOrdersSubgraph(options: { newBackend(): OrdersBackend; log: Logger; close?(): Promise<void> }) {
  return createSubgraph<OrdersContext>({
    typeDefs,
    resolvers,
    permissions,
    log: options.log,
    close: options.close,
    backends: () => ({ orders: options.newBackend() }),
  });
}

/** The orders subgraph over the ERP at `url`, sharing one connection pool across requests. */
export function ordersOverErp({ url, timeoutMs, connections, log }: BackendSettings) {
  const erp = new SoapClient({ backend: 'ERP', endpoint: url, timeoutMs, connections });
  return createOrdersSubgraph({ newBackend: () => new ErpClient(erp), log, close: () => erp.close() });
}
