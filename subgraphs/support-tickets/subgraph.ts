import { defineSubgraph } from '../kit/define-subgraph';
import { loadTypeDefs } from '../kit/subgraph-server';
import { startTicketEvents } from './events/runtime';
import { HelpdeskClient } from './helpdesk-client';
import { permissions } from './permissions';
import { resolvers, type TicketsContext } from './resolvers';

/**
 * The support-tickets subgraph over the helpdesk's SOAP service; opening a ticket with a key is idempotent. The
 * helpdesk's signed webhooks (`POST /webhooks/helpdesk`) become `ticket.updated` events in the shared event log.
 */
export default defineSubgraph({
  backend: { kind: 'soap', label: 'helpdesk' },
  // With ENTITY_CACHE=on, tickets stay fresh for 15 seconds (as their cache hint says).
  freshForMs: 15_000,
  typeDefs: loadTypeDefs(__dirname),
  resolvers,
  permissions,
  runtime: startTicketEvents,
  adapters: (helpdesk, request): TicketsContext => ({ tickets: new HelpdeskClient(helpdesk.client, helpdesk.memory(request), request.signal) }),
  idempotency: true,
});
