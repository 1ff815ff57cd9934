import { checkFirst } from '../kit/arguments';
import type { IdempotencyStore } from '../kit/idempotency';
import type { ViewerContext } from '../kit/permissions';
import { DateTime } from '../kit/scalars';
import type { NewOrder, Order, OrdersBackend } from './erp-client';
import { checkPlaceOrderInput } from './place-order-input';

/** What every resolver of this subgraph gets: the request's own backend adapter, and the shared idempotency records. */
export interface OrdersContext {
  orders: OrdersBackend;
  idempotency: IdempotencyStore;
}

export const resolvers = {
  DateTime,
  Query: {
    order: (_: unknown, { id }: { id: string }, { orders }: OrdersContext) => orders.order(id),
  },
  Mutation: {
    placeOrder: (_: unknown, { input }: { input: NewOrder }, { orders, idempotency, viewer }: OrdersContext & ViewerContext) => {
      const { idempotencyKey, ...request } = checkPlaceOrderInput(input);
      // The ERP books each external reference once: the reference derived from the client's key goes there.
      return idempotency.once(viewer.clientId, idempotencyKey, request, (reference) => orders.placeOrder({ ...request, idempotencyKey: reference }));
    },
  },
  Customer: {
    orders: async ({ id }: { id: string }, { first }: { first: number }, { orders }: OrdersContext) => {
      const limit = checkFirst(first);
      return (await orders.ordersOf(id)).slice(0, limit);
    },
  },
  Order: {
    __resolveReference: ({ id }: { id: string }, { orders }: OrdersContext) => orders.order(id),
    customer: ({ customerId }: Order) => ({ id: customerId }),
  },
};
