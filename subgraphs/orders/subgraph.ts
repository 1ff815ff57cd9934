import { defineSubgraph } from '../kit/define-subgraph';
import { loadTypeDefs } from '../kit/subgraph-server';
import { ErpClient } from './erp-client';
import { PaymentReads } from './payments/payment-reads';
import { startPayments, type PaymentsShared } from './payments/runtime';
import { permissions } from './permissions';
import { resolvers, type OrdersContext } from './resolvers';

/** The orders subgraph over the ERP's SOAP order service and a payment provider; placing an order is a durable workflow. */
export default defineSubgraph({
  backend: { kind: 'soap', label: 'ERP' },
  // With ENTITY_CACHE=on, orders stay fresh for 30 seconds (as their cache hint says).
  freshForMs: 30_000,
  typeDefs: loadTypeDefs(__dirname),
  resolvers,
  permissions,
  runtime: startPayments,
  adapters: (erp, request, { placement, records }: PaymentsShared): OrdersContext => ({
    orders: new ErpClient(erp.client, erp.memory(request), request.signal),
    payments: new PaymentReads(records),
    placement,
  }),
});
