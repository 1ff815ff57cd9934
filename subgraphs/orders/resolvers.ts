import { checkFirst } from '../kit/arguments';
import { visibleTo } from '../kit/permissions';
import { DateTime } from '../kit/scalars';
import type { SubgraphContext } from '../kit/subgraph-server';
import type { Order, OrdersBackend } from './erp-client';
import type { Resolvers } from './generated/resolvers-types';
import type { PaymentReads } from './payments/payment-reads';
import type { OrderPlacing } from './payments/placement';
import { checkPlaceOrderInput } from './place-order-input';

/** What `adapters` (subgraph.ts) makes per request: the request's ERP adapter, payment reads, and order placement. */
export interface OrdersContext {
  orders: OrdersBackend;
  payments: PaymentReads;
  placement: OrderPlacing;
}

/** What every resolver gets: that, and the verified caller. */
export type ResolverContext = SubgraphContext & OrdersContext;

const ownerOf = (order: Order) => order.customerId;

// Argument, parent and result types come from schema.graphql (`npm run codegen`).
export const resolvers: Resolvers = {
  DateTime,
  Query: {
    order: async (_, { id }, { orders, viewer }) => visibleTo(viewer, await orders.order(id), ownerOf),
  },
  Mutation: {
    placeOrder: (_, { input }, { orders, placement, viewer }) => {
      const { idempotencyKey, customerId, lines, paymentMethod, expectedTotal } = checkPlaceOrderInput(input);
      return placement.place(viewer, idempotencyKey, { customerId, lines, paymentMethod: paymentMethod ?? null, expectedTotal: expectedTotal ?? null }, orders);
    },
  },
  Customer: {
    orders: async ({ id }, { first }, { orders }) => {
      const limit = checkFirst(first);
      return (await orders.ordersOf(id)).slice(0, limit);
    },
  },
  Order: {
    __resolveReference: async ({ id }, { orders, viewer }) => visibleTo(viewer, await orders.order(id), ownerOf),
    customer: ({ customerId }) => ({ id: customerId }),
    payment: (order, _, { payments }) => payments.paymentOf(order),
    workflow: (order, _, { payments }) => payments.workflowOf(order),
  },
};
