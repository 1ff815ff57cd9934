import { randomUUID } from 'node:crypto';
import type { Logger } from '../../platform/log';
import { HELPDESK_SIGNATURE_HEADER } from '../../platform/webhook-signature';
import { createWebhookSender } from '../kit/webhook-sender';
import type { TicketChange } from './desk';

/** What the helpdesk posts for each change, as Zendesk and Freshdesk post a ticket event: who, which, what now, when. */
export interface TicketWebhookEvent {
  /** Unique per change: a receiver that saw it already ignores it. */
  id: string;
  type: 'ticket.created' | 'ticket.updated';
  ticketId: string;
  customerId: string;
  status: string;
  occurredAt: string;
}

/** Announces ticket changes to `url` (none when unset), signed with `secret`, each ticket's changes in order. */
export function createTicketWebhooks(settings: { url: string | undefined; secret: string; log: Logger }) {
  const sender = createWebhookSender({ ...settings, signatureHeader: HELPDESK_SIGNATURE_HEADER });
  return {
    announce({ kind, ticket, at }: TicketChange): void {
      const event: TicketWebhookEvent = {
        id: `evt-${randomUUID()}`,
        type: kind === 'opened' ? 'ticket.created' : 'ticket.updated',
        ticketId: ticket.ticketId,
        customerId: ticket.customerId,
        status: ticket.status,
        occurredAt: at,
      };
      sender.send(JSON.stringify(event), ticket.ticketId);
    },
    stop: () => sender.stop(),
  };
}
