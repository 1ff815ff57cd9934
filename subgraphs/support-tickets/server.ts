import { linkBackend, openIdempotency } from '../kit/backend-link';
import type { IdempotencyStore } from '../kit/idempotency';
import type { BackendSettings } from '../kit/run-subgraph';
import { SoapClient } from '../kit/soap-client';
import { createSubgraph, loadTypeDefs, type SubgraphOptions } from '../kit/subgraph-server';
import { HelpdeskClient, type SupportTicket, type TicketsBackend } from './helpdesk-client';
import { permissions } from './permissions';
import { resolvers, type TicketsContext } from './resolvers';

export const typeDefs = loadTypeDefs(__dirname);

/** With `ENTITY_CACHE=on`, tickets stay fresh for 15 seconds (as their cache hint says). */
const FRESH_FOR_MS = 15_000;

/** The support-tickets subgraph over any TicketsBackend; `newBackend` is called once per request, `idempotency` keeps the records. */
export function createSupportTicketsSubgraph(options: SubgraphOptions<TicketsBackend> & { idempotency: IdempotencyStore }) {
  const { idempotency } = options;
  return createSubgraph<TicketsContext>({
    ...options,
    name: 'support-tickets',
    typeDefs,
    resolvers,
    permissions,
    backends: (request) => ({ tickets: options.newBackend(request), idempotency }),
  });
}

/** The support-tickets subgraph over the helpdesk at `url`, sharing one connection pool across requests and, with Redis, replicas. */
export function supportTicketsOverHelpdesk(settings: BackendSettings) {
  const helpdesk = linkBackend<SoapClient, SupportTicket[]>(
    'support-tickets',
    new SoapClient({ ...settings, backend: 'helpdesk', endpoint: settings.url }),
    settings,
    FRESH_FOR_MS,
  );
  const idempotency = openIdempotency('support-tickets', settings);
  return createSupportTicketsSubgraph({
    newBackend: ({ stale, signal }) => new HelpdeskClient(helpdesk.client, { lastGood: helpdesk.lastGood, fresh: helpdesk.fresh, stale }, signal),
    idempotency,
    log: settings.log,
    readiness: helpdesk.readiness,
    close: async () => {
      await helpdesk.close();
      await idempotency.close();
    },
  });
}
