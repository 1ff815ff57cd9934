import type { IdempotencyStore } from '../kit/idempotency';
import type { ViewerContext } from '../kit/permissions';
import { DateTime } from '../kit/scalars';
import type { NewTicket, SupportTicket, TicketsBackend } from './helpdesk-client';
import { checkOpenTicketInput } from './open-ticket-input';

/** What every resolver of this subgraph gets: the request's own backend adapter. */
export interface TicketsContext {
  tickets: TicketsBackend;
  idempotency: IdempotencyStore;
}

export const resolvers = {
  DateTime,
  Query: {
    supportTicket: (_: unknown, { id }: { id: string }, { tickets }: TicketsContext) => tickets.ticket(id),
  },
  Mutation: {
    openSupportTicket: (_: unknown, { input }: { input: NewTicket }, { tickets, idempotency, viewer }: TicketsContext & ViewerContext) => {
      const { idempotencyKey, ...request } = checkOpenTicketInput(input);
      if (!idempotencyKey) return tickets.openTicket(request);
      // As for orders: the helpdesk gets a reference per client and key, so two clients' keys never collide there.
      return idempotency.once(viewer.clientId, idempotencyKey, request, (reference) => tickets.openTicket({ ...request, idempotencyKey: reference }));
    },
  },
  Customer: {
    supportTickets: async ({ id }: { id: string }, { status }: { status?: SupportTicket['status'] | null }, { tickets }: TicketsContext) => {
      const all = await tickets.ticketsOf(id);
      return status ? all.filter((t) => t.status === status) : all;
    },
  },
  SupportTicket: {
    __resolveReference: ({ id }: { id: string }, { tickets }: TicketsContext) => tickets.ticket(id),
    customer: ({ customerId }: SupportTicket) => ({ id: customerId }),
  },
};
