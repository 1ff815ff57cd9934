import { actsFor, and, allow, canUse, type IRules } from '../kit/permissions';
import type { NewTicket, SupportTicket } from './helpdesk-client';

/** Who may read and open support tickets (the README's access table); anything not listed is denied. */
export const permissions: IRules = {
  Query: { supportTicket: canUse('tickets:read') },
  Mutation: {
    openSupportTicket: and(
      canUse('tickets:write'),
      actsFor((_: unknown, { input }: { input: NewTicket }) => input.customerId),
    ),
  },
  Customer: {
    id: allow,
    supportTickets: and(
      canUse('tickets:read'),
      actsFor((customer: { id: string }) => customer.id),
    ),
  },
  // Checked on the entity itself, so `_entities` and `Query.supportTicket` are guarded alike.
  SupportTicket: {
    '*': and(
      canUse('tickets:read'),
      actsFor((ticket: SupportTicket) => ticket.customerId),
    ),
  },
};
