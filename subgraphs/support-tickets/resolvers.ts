import { visibleTo } from '../kit/permissions';
import { DateTime } from '../kit/scalars';
import type { IdempotencyContext } from '../kit/build-subgraph';
import type { SubgraphContext } from '../kit/subgraph-server';
import type { Resolvers } from './generated/resolvers-types';
import type { SupportTicket, TicketsBackend } from './helpdesk-client';
import { checkOpenTicketInput } from './open-ticket-input';

/** What `adapters` (subgraph.ts) makes per request: the request's own backend adapter. */
export interface TicketsContext {
  tickets: TicketsBackend;
}

/** What every resolver gets: that, the shared idempotency records (the subgraph declares them), and the verified caller. */
export type ResolverContext = SubgraphContext & TicketsContext & IdempotencyContext;

const ownerOf = (ticket: SupportTicket) => ticket.customerId;

// Argument, parent and result types come from schema.graphql (`npm run codegen`).
export const resolvers: Resolvers = {
  DateTime,
  Query: {
    supportTicket: async (_, { id }, { tickets, viewer }) => visibleTo(viewer, await tickets.ticket(id), ownerOf),
  },
  Mutation: {
    openSupportTicket: (_, { input }, { tickets, idempotency, viewer }) => {
      const { idempotencyKey, ...request } = checkOpenTicketInput(input);
      if (!idempotencyKey) return tickets.openTicket(request);
      // As for orders: the helpdesk gets a reference per caller and key, so two callers' keys never collide there.
      return idempotency.once(viewer, idempotencyKey, request, (reference) => tickets.openTicket({ ...request, idempotencyKey: reference }));
    },
  },
  Customer: {
    supportTickets: async ({ id }, { status }, { tickets }) => {
      const all = await tickets.ticketsOf(id);
      return status ? all.filter((ticket) => ticket.status === status) : all;
    },
  },
  SupportTicket: {
    __resolveReference: async ({ id }, { tickets, viewer }) => visibleTo(viewer, await tickets.ticket(id), ownerOf),
    customer: ({ customerId }) => ({ id: customerId }),
  },
};
