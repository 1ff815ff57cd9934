import { checkFirst } from '../kit/arguments';
import { DateTime } from '../kit/scalars';
import type { CustomerPage, CustomersBackend } from './crm-client';

/** What every resolver of this subgraph gets: the request's own backend adapter. */
export interface CustomersContext {
  customers: CustomersBackend;
}

export const resolvers = {
  DateTime,
  Query: {
    customer: (_: unknown, { id }: { id: string }, { customers }: CustomersContext) => customers.customer(id),
    customers: (_: unknown, { first, after }: { first: number; after?: string | null }, { customers }: CustomersContext) =>
      customers.customers(checkFirst(first), after ?? undefined),
  },
  Customer: {
    __resolveReference: ({ id }: { id: string }, { customers }: CustomersContext) => customers.customer(id),
  },
  CustomerConnection: {
    pageInfo: ({ endCursor, hasNextPage }: CustomerPage) => ({ endCursor, hasNextPage }),
  },
};
