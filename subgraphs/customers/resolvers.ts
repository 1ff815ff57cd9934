import { checkFirst } from '../kit/arguments';
import { visibleTo } from '../kit/permissions';
import { DateTime } from '../kit/scalars';
import type { SubgraphContext } from '../kit/subgraph-server';
import type { CustomersBackend } from './crm-client';
import type { Resolvers } from './generated/resolvers-types';

/** What `adapters` (subgraph.ts) makes per request: the request's own backend adapter. */
export interface CustomersContext {
  customers: CustomersBackend;
}

/** What every resolver gets: that, and the verified caller. */
export type ResolverContext = SubgraphContext & CustomersContext;

// Argument, parent and result types come from schema.graphql (`npm run codegen`).
export const resolvers: Resolvers = {
  DateTime,
  Query: {
    customer: (_, { id }, { customers }) => customers.customer(id),
    customers: (_, { first, after }, { customers }) => customers.customers(checkFirst(first), after ?? undefined),
  },
  Customer: {
    __resolveReference: async ({ id }, { customers, viewer }) => visibleTo(viewer, await customers.customer(id), (customer) => customer.id),
  },
  CustomerConnection: {
    pageInfo: ({ endCursor, hasNextPage }) => ({ endCursor, hasNextPage }),
  },
};
