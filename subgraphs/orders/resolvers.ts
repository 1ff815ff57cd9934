import { checkFirst } from '../kit/arguments';
import { visibleTo } from '../kit/permissions';
import { DateTime } from '../kit/scalars';
import type { IdempotencyContext } from '../kit/build-subgraph';
import type { SubgraphContext } from '../kit/subgraph-server';
import type { Order, OrdersBackend } from './erp-client';
import type { Resolvers } from './generated/resolvers-types';
import { checkPlaceOrderInput } from './place-order-input';

/** What `adapters` (subgraph.ts) makes per request: the request's own backend adapter. */
export interface OrdersContext {
  orders: OrdersBackend;
}

/** What every resolver gets: that, the shared idempotency records (the subgraph declares them), and the verified caller. */
export type ResolverContext = SubgraphContext & OrdersContext & IdempotencyContext;

const ownerOf = (order: Order) => order.customerId;

// Argument, parent and result types come from schema.graphql (`npm run codegen`).
export const resolvers: Resolvers = {
  DateTime,
  Query: {
    order: async (_, { id }, { orders, viewer }) => visibleTo(viewer, await orders.order(id), ownerOf),
  },
  Mutation: {
    placeOrder: (_, { input }, { orders, idempotency, viewer }) => {
      const { idempotencyKey, ...request } = checkPlaceOrderInput(input);
      // The ERP books each external reference once: the reference derived from the caller and its key goes there.
      return idempotency.once(viewer, idempotencyKey, request, (reference) => orders.placeOrder({ ...request, idempotencyKey: reference }));
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
  },
};
