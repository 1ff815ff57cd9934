import { CUSTOMER_COUNT, customerId, SeededRandom } from './random';

export type TicketStatus = 'OPEN' | 'PENDING' | 'RESOLVED' | 'CLOSED';
export type TicketPriority = 'LOW' | 'NORMAL' | 'HIGH' | 'URGENT';

/** A ticket as the helpdesk stores it. */
export interface HelpdeskTicket {
  ticketId: string;
  customerId: string;
  externalReference?: string;
  subject: string;
  description: string;
  status: TicketStatus;
  priority: TicketPriority;
  openedAt: string;
}

export const TICKET_COUNT = 2500;

const SUBJECTS = [
  'Order arrived damaged',
  'Invoice address is wrong',
  'Cannot log in',
  'Refund not received',
  'Delivery is late',
  'Change my plan',
  'Item missing from order',
  'Question about warranty',
  'Payment declined',
  'Update my email address',
];

/** The helpdesk's 2,500 tickets, identical on every start. */
export function seedTickets(): HelpdeskTicket[] {
  const random = new SeededRandom(0x7ac4e7);
  const tickets: HelpdeskTicket[] = [];
  for (let n = 1; n <= TICKET_COUNT; n++) {
    const subject = random.pick(SUBJECTS);
    tickets.push({
      ticketId: `tkt-${n}`,
      customerId: customerId(random.int(1, CUSTOMER_COUNT)),
      subject,
      description: `${subject}. Reported through the web form.`,
      status: random.pick<TicketStatus>(['OPEN', 'PENDING', 'RESOLVED', 'CLOSED', 'CLOSED']),
      priority: random.pick<TicketPriority>(['LOW', 'NORMAL', 'NORMAL', 'HIGH', 'URGENT']),
      openedAt: random.dateBetween('2021-01-01T00:00:00Z', '2026-06-30T00:00:00Z'),
    });
  }
  return tickets;
}
