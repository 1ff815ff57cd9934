import { DateTime } from '../kit/scalars';
import type { NewTicket, SupportTicket, TicketsBackend } from './helpdesk-client';
import { checkOpenTicketInput } from './open-ticket-input';

/** What every resolver of this subgraph gets: the request's own backend adapter. */
export interface TicketsContext {
  tickets: TicketsBackend;
}

export const resolvers = {
  DateTime,
  Query: {
    supportTicket: (_: unknown, { id }: { id: string }, { tickets }: TicketsContext) => tickets.ticket(id),
  },
  Mutation: {
    openSupportTicket: (_: unknown, { input }: { input: NewTicket }, { tickets }: TicketsContext) => tickets.openTicket(checkOpenTicketInput(input)),
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
