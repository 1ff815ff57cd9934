import { openJournal, type Journal } from '../kit/journal';
import { seedTickets, type HelpdeskTicket, type TicketStatus } from '../seed/tickets';

export const STATUSES: readonly TicketStatus[] = ['OPEN', 'PENDING', 'RESOLVED', 'CLOSED'];

/** An agent's answer on a ticket. */
export interface Reply {
  text: string;
  at: string;
}

/** A journal line after a ticket was opened: its new status, and the agent's reply that came with it, if any. */
interface TicketUpdate {
  kind: 'update';
  ticketId: string;
  status: TicketStatus;
  reply?: string;
  at: string;
}

/** A journal line: an opened ticket (the journal's first shape, kept as it was) or an update. */
type DeskChange = HelpdeskTicket | TicketUpdate;

/** A change as the desk announces it. */
export interface TicketChange {
  kind: 'opened' | 'replied' | 'status';
  ticket: HelpdeskTicket;
  at: string;
}

/** A change the desk refuses, with the admin API's status and code. */
export class DeskRefusal extends Error {
  override name = 'DeskRefusal';
  constructor(
    readonly status: 404 | 409,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Seconds precision, as the helpdesk writes every time. */
const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * The helpdesk's tickets: the seed, with the changes of the journal under `stateDir` replayed over it. Every change
 * (a ticket opened, an agent's reply, a new status) is journaled before it is kept, then told to `onChange`.
 */
export class Desk {
  private readonly byId = new Map<string, HelpdeskTicket>();
  private readonly byReference = new Map<string, HelpdeskTicket>();
  private readonly byCustomer = new Map<string, HelpdeskTicket[]>();
  private readonly replies = new Map<string, Reply[]>();
  private readonly journal: Journal<DeskChange>;
  /** Told every change once it is kept. */
  onChange: (change: TicketChange) => void = () => undefined;

  constructor(stateDir: string) {
    seedTickets().forEach((ticket) => this.file(ticket));
    this.journal = openJournal<DeskChange>(stateDir);
    this.journal.replayed.forEach((change) => this.apply(change));
  }

  ticket(id: string): HelpdeskTicket | undefined {
    return this.byId.get(id);
  }

  /** A customer's tickets, most recent first. */
  ofCustomer(customerId: string): readonly HelpdeskTicket[] {
    return this.byCustomer.get(customerId) ?? [];
  }

  withReference(reference: string): HelpdeskTicket | undefined {
    return this.byReference.get(reference);
  }

  repliesTo(ticketId: string): readonly Reply[] {
    return this.replies.get(ticketId) ?? [];
  }

  /** Opens a ticket (OPEN, opened now) with the next id. */
  open(fields: Omit<HelpdeskTicket, 'ticketId' | 'status' | 'openedAt'>): HelpdeskTicket {
    const ticket: HelpdeskTicket = { ticketId: `tkt-${this.byId.size + 1}`, ...fields, status: 'OPEN', openedAt: now() };
    this.keep(ticket);
    this.onChange({ kind: 'opened', ticket, at: ticket.openedAt });
    return ticket;
  }

  /**
   * An agent answers: the ticket then waits on the customer (PENDING) unless `status` says otherwise. A CLOSED ticket
   * takes no reply (Zendesk's rule: a follow-up is a new ticket).
   */
  reply(ticketId: string, text: string, status: TicketStatus = 'PENDING'): HelpdeskTicket {
    const ticket = this.changeable(ticketId);
    return this.update(ticket, { kind: 'update', ticketId, status, reply: text, at: now() }, 'replied');
  }

  /** Moves a ticket to another status; a CLOSED ticket, or one already in that status, is refused. */
  setStatus(ticketId: string, status: TicketStatus): HelpdeskTicket {
    const ticket = this.changeable(ticketId);
    if (ticket.status === status) throw new DeskRefusal(409, 'status_unchanged', `ticket ${ticketId} is already ${status}`);
    return this.update(ticket, { kind: 'update', ticketId, status, at: now() }, 'status');
  }

  /** Tickets an agent may still work on. */
  openTickets(): HelpdeskTicket[] {
    return [...this.byId.values()].filter((ticket) => ticket.status !== 'CLOSED');
  }

  private changeable(ticketId: string): HelpdeskTicket {
    const ticket = this.byId.get(ticketId);
    if (!ticket) throw new DeskRefusal(404, 'unknown_ticket', `no ticket ${ticketId.slice(0, 40)}`);
    if (ticket.status === 'CLOSED') throw new DeskRefusal(409, 'ticket_closed', `ticket ${ticketId} is CLOSED`);
    return ticket;
  }

  private update(ticket: HelpdeskTicket, update: TicketUpdate, kind: TicketChange['kind']): HelpdeskTicket {
    this.keep(update);
    this.onChange({ kind, ticket, at: update.at });
    return ticket;
  }

  /** Journal first: a change is acknowledged only once kept. */
  private keep(change: DeskChange): void {
    this.journal.append(change);
    this.apply(change);
  }

  private apply(change: DeskChange): void {
    if (!('kind' in change)) return this.file(change);
    const ticket = this.byId.get(change.ticketId);
    if (!ticket) return;
    ticket.status = change.status;
    if (change.reply !== undefined) this.replies.set(change.ticketId, [...this.repliesTo(change.ticketId), { text: change.reply, at: change.at }]);
  }

  private file(ticket: HelpdeskTicket): void {
    this.byId.set(ticket.ticketId, ticket);
    if (ticket.externalReference) this.byReference.set(ticket.externalReference, ticket);
    const list = this.byCustomer.get(ticket.customerId) ?? [];
    list.push(ticket);
    list.sort((a, b) => b.openedAt.localeCompare(a.openedAt));
    this.byCustomer.set(ticket.customerId, list);
  }
}
