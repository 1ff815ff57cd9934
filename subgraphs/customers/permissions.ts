import { actsFor, allow, and, canUse, notACustomer, type IRules } from '../kit/permissions';
import type { Customer } from './crm-client';

const readsCustomer = and(
  canUse('customers:read'),
  actsFor((customer: Customer) => customer.id),
);
const readsPii = and(readsCustomer, canUse('pii:read'));

/** Who may read what in the customers subgraph (the README's access table); anything not listed is denied. */
export const permissions: IRules = {
  Query: {
    customer: and(
      canUse('customers:read'),
      actsFor((_: unknown, { id }: { id: string }) => id),
    ),
    customers: and(canUse('customers:read'), notACustomer),
  },
  // Checked on the entity itself, so `_entities` is guarded exactly as `Query.customer`.
  Customer: { '*': readsCustomer, email: readsPii, phone: readsPii, address: readsPii },
  Address: allow,
  CustomerConnection: allow,
  PageInfo: allow,
};
