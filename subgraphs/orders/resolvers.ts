import { checkFirst } from '../kit/arguments';
import { DateTime } from '../kit/scalars';
import type { NewOrder, Order, OrdersBackend } from './erp-client';
import { checkPlaceOrderInput } from './place-order-input';

/** What every resolver of this subgraph gets: the request's own backend adapter. */
export interface OrdersContext {
  orders: OrdersBackend;
}

export const resolvers = {
  DateTime,
  Query: {
    order: (_: unknown, { id }: { id: string }, { orders }: OrdersContext) => orders.order(id),
  },
  Mutation: {
    placeOrder: (_: unknown, { input }: { input: NewOrder }, { orders }: OrdersContext) => orders.placeOrder(checkPlaceOrderInput(input)),
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
