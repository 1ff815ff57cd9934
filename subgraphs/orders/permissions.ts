import { actsFor, allow, and, canUse, notACustomer, type IRules } from '../kit/permissions';
import type { NewOrder, Order } from './erp-client';

const readsOrder = and(
  canUse('orders:read'),
  actsFor((order: Order) => order.customerId),
);

/** Who may read and place orders (the README's access table); anything not listed is denied. */
export const permissions: IRules = {
  Query: { order: canUse('orders:read') },
  Mutation: {
    placeOrder: and(
      canUse('orders:write'),
      actsFor((_: unknown, { input }: { input: NewOrder }) => input.customerId),
    ),
  },
  Customer: {
    id: allow,
    orders: and(
      canUse('orders:read'),
      actsFor((customer: { id: string }) => customer.id),
    ),
  },
  // Checked on the entity itself, so `_entities` and `Query.order` are guarded alike.
  Order: {
    '*': readsOrder,
    payment: and(readsOrder, canUse('pii:read')),
    // Step errors and attempts are for staff and services who mend payments, not for customers.
    workflow: and(readsOrder, notACustomer),
  },
  Money: allow,
  OrderLine: allow,
  Payment: allow,
  OrderWorkflow: allow,
  WorkflowStep: allow,
};
