import { join } from 'node:path';
import { z } from 'zod';
import { durationVar, optionalUrlVar, readEnv } from '../../platform/env';
import { DEVELOPMENT_HELPDESK_SECRET } from '../../platform/webhook-signature';
import { createLegacyServer, type LegacyServer } from '../kit/legacy-server';
import type { BackendOptions } from '../kit/stand-in';
import { createSoapEndpoint, idList, requiredText, soapFault } from '../kit/soap-endpoint';
import { CallStats } from '../kit/stats';
import { isKnownCustomer } from '../seed/random';
import type { HelpdeskTicket, TicketPriority } from '../seed/tickets';
import { startActivity } from './activity';
import { ticketAdmin } from './admin';
import { Desk } from './desk';
import { createTicketWebhooks } from './webhooks';

const PRIORITIES: readonly TicketPriority[] = ['LOW', 'NORMAL', 'HIGH', 'URGENT'];

const settingsShape = {
  /** How often an agent works a ticket on its own (`30s`, `1m`…), or `off`. */
  HELPDESK_ACTIVITY_PACE: z.literal('off').or(durationVar('1m', 1_000, 60 * 60_000)),
  /** Where each change is posted, signed; none are sent when unset. */
  HELPDESK_WEBHOOK_URL: optionalUrlVar(),
  HELPDESK_WEBHOOK_SECRET: z.string().min(1, 'must not be empty').default(DEVELOPMENT_HELPDESK_SECRET),
};

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
 * The helpdesk: SOAP 1.1 ticket service at `/helpdesk` (WSDL at `/helpdesk?wsdl`). Tickets change as agents work them
 * (every `HELPDESK_ACTIVITY_PACE`, and through the admin calls of ./admin.ts); every change, a ticket opened too, is
 * kept in a journal under `stateDir`, replayed over the seed at start-up, and posted signed to `HELPDESK_WEBHOOK_URL`
 * (./webhooks.ts). Reads its variables once, here.
 * `OpenTicket` with an ExternalReference it has seen answers the first ticket, Created=false, when it asks for the same
 * ticket again; another customer, subject, description or priority is a REFERENCE_REUSED Client fault.
 */
export default async function createHelpdeskServer(options: BackendOptions): Promise<LegacyServer> {
  const settings = readEnv(settingsShape, options.env);
  const desk = new Desk(options.stateDir);
  const webhooks = createTicketWebhooks({ url: settings.HELPDESK_WEBHOOK_URL, secret: settings.HELPDESK_WEBHOOK_SECRET, log: options.log });
  desk.onChange = (change) => webhooks.announce(change);
  const stats = new CallStats();

  const openTicket = (args: Record<string, unknown>) => {
    const reference = typeof args.ExternalReference === 'string' && args.ExternalReference !== '' ? args.ExternalReference : undefined;
    const existing = reference === undefined ? undefined : desk.withReference(reference);
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
    const ticket = desk.open({ customerId, ...(reference ? { externalReference: reference } : {}), subject, description, priority });
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
          .flatMap((id) => desk.ofCustomer(id))
          .map(toSoapTicket),
      }),
      GetTicketsByIds: (args) => ({
        Ticket: idList(args, 'TicketId')
          .flatMap((id) => desk.ticket(id) ?? [])
          .map(toSoapTicket),
      }),
      OpenTicket: openTicket,
    },
  });
  const legacy = createLegacyServer({ name: 'helpdesk', stats, ...options, handle: soap.handle, failure: soap.failure, admin: ticketAdmin(desk) });
  const stopActivity = settings.HELPDESK_ACTIVITY_PACE === 'off' ? () => undefined : startActivity(desk, settings.HELPDESK_ACTIVITY_PACE, options.log);
  legacy.server.once('close', () => {
    stopActivity();
    webhooks.stop();
  });
  return legacy;
}
