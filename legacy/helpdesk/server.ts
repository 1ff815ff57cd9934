import { join } from 'node:path';
import { openJournal } from '../kit/journal';
import { createLegacyServer, type LegacyServer } from '../kit/legacy-server';
import type { BackendOptions } from '../kit/stand-in';
import { createSoapEndpoint, idList, requiredText, soapFault } from '../kit/soap-endpoint';
import { CallStats } from '../kit/stats';
import { isKnownCustomer } from '../seed/random';
import { seedTickets, type HelpdeskTicket, type TicketPriority } from '../seed/tickets';

const PRIORITIES: readonly TicketPriority[] = ['LOW', 'NORMAL', 'HIGH', 'URGENT'];

/** A ticket in the helpdesk's wire shape; key order follows the WSDL's xsd:sequence. */
const toSoapTicket = (t: HelpdeskTicket) => ({
  TicketId: t.ticketId,
  CustomerId: t.customerId,
  ...(t.externalReference ? { ExternalReference: t.externalReference } : {}),
  Subject: t.subject,
  Description: t.description,
  Status: t.status,
  Priority: t.priority,
  OpenedAt: t.openedAt,
});

/**
 * The helpdesk: SOAP 1.1 ticket service at `/helpdesk` (WSDL at `/helpdesk?wsdl`). Opened tickets are kept in a
 * journal under `stateDir`, replayed over the seed at start-up.
 * `OpenTicket` with an ExternalReference it has seen answers the first ticket, Created=false, when it asks for the same
 * ticket again; another customer, subject, description or priority is a REFERENCE_REUSED Client fault.
 */
export default async function createHelpdeskServer(options: BackendOptions): Promise<LegacyServer> {
  const tickets = seedTickets();
  const byId = new Map(tickets.map((t) => [t.ticketId, t]));
  const byReference = new Map<string, HelpdeskTicket>();
  const byCustomer = new Map<string, HelpdeskTicket[]>();
  const file = (ticket: HelpdeskTicket) => {
    const list = byCustomer.get(ticket.customerId) ?? [];
    list.push(ticket);
    list.sort((a, b) => b.openedAt.localeCompare(a.openedAt));
    byCustomer.set(ticket.customerId, list);
  };
  const record = (ticket: HelpdeskTicket) => {
    byId.set(ticket.ticketId, ticket);
    if (ticket.externalReference) byReference.set(ticket.externalReference, ticket);
    file(ticket);
  };
  tickets.forEach(file);
  const journal = openJournal<HelpdeskTicket>(options.stateDir);
  journal.replayed.forEach(record);
  const stats = new CallStats();

  const openTicket = (args: Record<string, unknown>) => {
    const reference = typeof args.ExternalReference === 'string' && args.ExternalReference !== '' ? args.ExternalReference : undefined;
    const existing = reference === undefined ? undefined : byReference.get(reference);
    if (existing) {
      const same =
        existing.customerId === args.CustomerId &&
        existing.subject === args.Subject &&
        existing.description === (typeof args.Description === 'string' ? args.Description : '') &&
        existing.priority === args.Priority;
      if (!same) throw soapFault('Client', 'REFERENCE_REUSED', 'ExternalReference was already used for another ticket');
      return { Ticket: toSoapTicket(existing), Created: false };
    }
    const customerId = requiredText(args, 'CustomerId');
    if (!isKnownCustomer(customerId)) throw soapFault('Client', 'UNKNOWN_CUSTOMER', `no customer ${customerId.slice(0, 40)}`);
    const subject = requiredText(args, 'Subject');
    if (subject.length > 200) throw soapFault('Client', 'INVALID_REQUEST', 'Subject is longer than 200 characters');
    const description = typeof args.Description === 'string' ? args.Description : '';
    if (description.length > 10_000) throw soapFault('Client', 'INVALID_REQUEST', 'Description is longer than 10000 characters');
    const priority = requiredText(args, 'Priority') as TicketPriority;
    if (!PRIORITIES.includes(priority)) throw soapFault('Client', 'INVALID_REQUEST', `Priority must be one of ${PRIORITIES.join(', ')}`);
    const ticket: HelpdeskTicket = {
      ticketId: `tkt-${byId.size + 1}`,
      customerId,
      ...(reference ? { externalReference: reference } : {}),
      subject,
      description,
      status: 'OPEN',
      priority,
      openedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
    journal.append(ticket);
    record(ticket);
    return { Ticket: toSoapTicket(ticket), Created: true };
  };

  const soap = await createSoapEndpoint({
    wsdlPath: join(__dirname, 'helpdesk.wsdl'),
    path: '/helpdesk',
    service: 'HelpdeskTicketService',
    port: 'HelpdeskTicketPort',
    stats,
    operations: {
      GetTicketsByCustomerIds: (args) => ({
        Ticket: idList(args, 'CustomerId')
          .flatMap((id) => byCustomer.get(id) ?? [])
          .map(toSoapTicket),
      }),
      GetTicketsByIds: (args) => ({
        Ticket: idList(args, 'TicketId')
          .flatMap((id) => byId.get(id) ?? [])
          .map(toSoapTicket),
      }),
      OpenTicket: openTicket,
    },
  });
  return createLegacyServer({ name: 'helpdesk', stats, ...options, handle: soap.handle, failure: soap.failure });
}
