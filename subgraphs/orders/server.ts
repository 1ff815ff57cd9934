import type { Readiness } from '../../platform/graphql-http';
import type { Logger } from '../../platform/log';
import { IdempotencyStore } from '../kit/idempotency';
import { LastGood, type StaleMarks } from '../kit/last-good';
import { circuitReadiness } from '../kit/resilience';
import type { BackendSettings } from '../kit/run-subgraph';
import { SoapClient } from '../kit/soap-client';
import { openStore } from '../kit/store';
import { createSubgraph, loadTypeDefs } from '../kit/subgraph-server';
import { ErpClient, type OrdersBackend, type Order } from './erp-client';
import { permissions } from './permissions';
import { resolvers, type OrdersContext } from './resolvers';

export const typeDefs = loadTypeDefs(__dirname);

/**
 * The orders subgraph over any OrdersBackend; `newBackend` is called once per request. Idempotency records live in
 * `idempotency`, in process memory unless given one over Redis.
 */
export function createOrdersSubgraph(options: {
  newBackend(stale: StaleMarks): OrdersBackend;
  log: Logger;
  idempotency?: IdempotencyStore;
  readiness?(): Readiness;
  close?(): Promise<void>;
}) {
  const idempotency = options.idempotency ?? new IdempotencyStore(openStore('orders-idempotency', { log: options.log }), options.log);
  return createSubgraph<OrdersContext>({
    name: 'orders',
    typeDefs,
    resolvers,
    permissions,
    log: options.log,
    readiness: options.readiness,
    close: options.close,
    backends: (stale) => ({ orders: options.newBackend(stale), idempotency }),
  });
}

/** The orders subgraph over the ERP at `url`, sharing one connection pool across requests and, with Redis, replicas. */
export function ordersOverErp({ url, connections, resilience, redisUrl, log }: BackendSettings) {
  const erp = new SoapClient({ backend: 'ERP', endpoint: url, connections, resilience, log });
  const lastGood = new LastGood<Order[]>('ERP', openStore('orders-last-good', { redisUrl, log }), log);
  const store = openStore('orders-idempotency', { redisUrl, log });
  return createOrdersSubgraph({
    newBackend: (stale) => new ErpClient(erp, { lastGood, stale }),
    idempotency: new IdempotencyStore(store, log),
    log,
    readiness: circuitReadiness(erp.policy),
    close: async () => {
      await erp.close();
      await store.disconnect();
      await lastGood.close();
    },
  });
}
