import DataLoader from 'dataloader';
import { z } from 'zod';
import { byKeys, groupByKeys, MAX_BATCH } from '../kit/batch';
import { rememberingBatch, type Remembering } from '../kit/last-good';
import { badUserInput } from '../kit/errors';
import { idempotencyKeyReused } from '../kit/idempotency';
import { asList, SoapClientFault, type SoapClient } from '../kit/soap-client';

export const TICKET_STATUSES = ['OPEN', 'PENDING', 'RESOLVED', 'CLOSED'] as const;
export const TICKET_PRIORITIES = ['LOW', 'NORMAL', 'HIGH', 'URGENT'] as const;

/** A support ticket as the support-tickets subgraph serves it. */
export interface SupportTicket {
  id: string;
  customerId: string;
  subject: string;
  description: string;
  status: (typeof TICKET_STATUSES)[number];
  priority: (typeof TICKET_PRIORITIES)[number];
  openedAt: string;
}

export interface NewTicket {
  customerId: string;
  subject: string;
  description: string;
  priority: SupportTicket['priority'];
  idempotencyKey?: string;
}

/** What the support-tickets subgraph needs from a helpdesk. One instance per request: loads are batched within it. */
export interface TicketsBackend {
  /** A customer's tickets, most recent first; batched with the request's other customers. */
  ticketsOf(customerId: string): Promise<SupportTicket[]>;
  /** One ticket, batched; null when unknown. */
  ticket(id: string): Promise<SupportTicket | null>;
  /** Opens a ticket; with an idempotency key, a repeat returns the first ticket. */
  openTicket(ticket: NewTicket): Promise<SupportTicket>;
}

const soapTicket = z.object({
  TicketId: z.string(),
  CustomerId: z.string(),
  Subject: z.string(),
  Description: z.string(),
  Status: z.enum(TICKET_STATUSES),
  Priority: z.enum(TICKET_PRIORITIES),
  OpenedAt: z.string(),
});
const soapTickets = z.object({ Ticket: z.union([soapTicket, z.array(soapTicket)]).optional() });
const soapOpened = z.object({ Ticket: soapTicket });

const toTicket = (t: z.infer<typeof soapTicket>): SupportTicket => ({
  id: t.TicketId,
  customerId: t.CustomerId,
  subject: t.Subject,
  description: t.Description,
  status: t.Status,
  priority: t.Priority,
  openedAt: t.OpenedAt,
});

/** The helpdesk's SOAP ticket service behind the support-tickets subgraph, with per-request batching. */
export class HelpdeskClient implements TicketsBackend {
  // While the backend is down, a batch may be answered from its last good values (marked stale).
  private readonly byCustomer = new DataLoader<string, SupportTicket[]>((ids) => rememberingBatch((keys) => this.fetchByCustomers(keys), this.memory)(ids), {
    maxBatchSize: MAX_BATCH,
  });
  private readonly byId = new DataLoader<string, SupportTicket | null>((ids) => this.fetchByIds(ids), { maxBatchSize: MAX_BATCH });

  constructor(
    private readonly soap: SoapClient,
    private readonly memory?: Remembering<SupportTicket[]>,
    /** The request's: when it aborts (deadline passed, caller gone), pending calls end and no batch is sent. */
    private readonly signal?: AbortSignal,
  ) {}

  ticketsOf(customerId: string): Promise<SupportTicket[]> {
    return this.byCustomer.load(customerId);
  }

  ticket(id: string): Promise<SupportTicket | null> {
    return this.byId.load(id);
  }

  async openTicket(ticket: NewTicket): Promise<SupportTicket> {
    let result: z.infer<typeof soapOpened>;
    try {
      result = await this.soap.call(
        'OpenTicket',
        {
          CustomerId: ticket.customerId,
          Subject: ticket.subject,
          Description: ticket.description,
          Priority: ticket.priority,
          ...(ticket.idempotencyKey ? { ExternalReference: ticket.idempotencyKey } : {}),
        },
        soapOpened,
        // Without an external reference the helpdesk cannot tell a repeat from a new ticket: never repeat it then.
        ticket.idempotencyKey ? 'safe-to-retry' : 'never-retry',
        this.signal,
      );
    } catch (error) {
      if (error instanceof SoapClientFault && error.faultCode === 'UNKNOWN_CUSTOMER')
        throw badUserInput('input.customerId names no customer', 'input.customerId');
      // The helpdesk keeps the reference for another ticket: the key was used before for another request.
      if (error instanceof SoapClientFault && error.faultCode === 'REFERENCE_REUSED') throw idempotencyKeyReused();
      throw error;
    }
    const opened = toTicket(result.Ticket);
    await this.memory?.fresh?.forget(opened.customerId);
    this.byCustomer.clear(opened.customerId);
    this.byId.prime(opened.id, opened);
    return opened;
  }

  private async fetchByCustomers(customerIds: readonly string[]): Promise<SupportTicket[][]> {
    const tickets = await this.fetch('GetTicketsByCustomerIds', { CustomerId: [...customerIds] });
    return groupByKeys(customerIds, tickets, (t) => t.customerId).map((list) => list.sort((a, b) => b.openedAt.localeCompare(a.openedAt)));
  }

  private async fetchByIds(ids: readonly string[]): Promise<(SupportTicket | null)[]> {
    return byKeys(ids, await this.fetch('GetTicketsByIds', { TicketId: [...ids] }), (t) => t.id);
  }

  private async fetch(operation: string, args: Record<string, unknown>): Promise<SupportTicket[]> {
    const tickets = asList((await this.soap.call(operation, args, soapTickets, 'safe-to-retry', this.signal)).Ticket).map(toTicket);
    for (const ticket of tickets) this.byId.prime(ticket.id, ticket);
    return tickets;
  }
}
