import type { Logger } from '../../platform/log';
import type { Desk } from './desk';

/** What agents write when the stand-in works a ticket on its own. */
const CANNED_REPLIES = [
  'Thanks for reaching out. Could you send us your order number?',
  'We are looking into this and will get back to you shortly.',
  'A replacement is on its way.',
  'Your refund has been issued; it can take up to five working days.',
];

/**
 * The helpdesk's agents at work: every `paceMs`, one ticket not yet CLOSED moves one step — an OPEN one gets a reply
 * (PENDING), a PENDING one is RESOLVED, a RESOLVED one CLOSED — so a running stack visibly changes. Stops with the
 * returned function; never keeps the process alive.
 */
export function startActivity(desk: Desk, paceMs: number, log: Logger): () => void {
  const step = () => {
    const candidates = desk.openTickets();
    const ticket = candidates[Math.floor(Math.random() * candidates.length)];
    if (!ticket) return;
    const { ticketId, status } = ticket;
    if (status === 'OPEN') desk.reply(ticketId, CANNED_REPLIES[Math.floor(Math.random() * CANNED_REPLIES.length)] as string);
    else desk.setStatus(ticketId, status === 'PENDING' ? 'RESOLVED' : 'CLOSED');
    log.debug({ ticketId, from: status, to: ticket.status }, 'an agent worked a ticket');
  };
  const timer = setInterval(step, paceMs);
  timer.unref();
  return () => clearInterval(timer);
}
