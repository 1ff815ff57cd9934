import { defineSubgraph } from '../kit/define-subgraph';
import { loadTypeDefs } from '../kit/subgraph-server';
import { ErpClient } from './erp-client';
import { permissions } from './permissions';
import { resolvers, type OrdersContext } from './resolvers';

/** The orders subgraph over the ERP's SOAP order service; placing an order is idempotent per caller and key. */
export default defineSubgraph({
  backend: { kind: 'soap', label: 'ERP' },
  // With ENTITY_CACHE=on, orders stay fresh for 30 seconds (as their cache hint says).
  freshForMs: 30_000,
  typeDefs: loadTypeDefs(__dirname),
  resolvers,
  permissions,
  adapters: (erp, request): OrdersContext => ({ orders: new ErpClient(erp.client, erp.memory(request), request.signal) }),
  idempotency: true,
});
