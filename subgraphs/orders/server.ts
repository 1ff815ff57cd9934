import { linkBackend, openIdempotency } from '../kit/backend-link';
import type { IdempotencyStore } from '../kit/idempotency';
import type { BackendSettings } from '../kit/run-subgraph';
import { SoapClient } from '../kit/soap-client';
import { createSubgraph, loadTypeDefs, type SubgraphOptions } from '../kit/subgraph-server';
import { ErpClient, type Order, type OrdersBackend } from './erp-client';
import { permissions } from './permissions';
import { resolvers, type OrdersContext } from './resolvers';

export const typeDefs = loadTypeDefs(__dirname);

/** With `ENTITY_CACHE=on`, orders stay fresh for 30 seconds (as their cache hint says). */
const FRESH_FOR_MS = 30_000;

/** The orders subgraph over any OrdersBackend; `newBackend` is called once per request, `idempotency` keeps the records. */
export function createOrdersSubgraph(options: SubgraphOptions<OrdersBackend> & { idempotency: IdempotencyStore }) {
  const { idempotency } = options;
  return createSubgraph<OrdersContext>({
    ...options,
    name: 'orders',
    typeDefs,
    resolvers,
    permissions,
    backends: (request) => ({ orders: options.newBackend(request), idempotency }),
  });
}

/** The orders subgraph over the ERP at `url`, sharing one connection pool across requests and, with Redis, replicas. */
export function ordersOverErp(settings: BackendSettings) {
  const erp = linkBackend<SoapClient, Order[]>('orders', new SoapClient({ ...settings, backend: 'ERP', endpoint: settings.url }), settings, FRESH_FOR_MS);
  const idempotency = openIdempotency('orders', settings);
  return createOrdersSubgraph({
    newBackend: ({ stale, signal }) => new ErpClient(erp.client, { lastGood: erp.lastGood, fresh: erp.fresh, stale }, signal),
    idempotency,
    log: settings.log,
    readiness: erp.readiness,
    close: async () => {
      await erp.close();
      await idempotency.close();
    },
  });
}
