import type { Readiness } from '../../platform/graphql-http';
import type { Logger } from '../../platform/log';
import { IdempotencyStore } from '../kit/idempotency';
import { LastGood, type StaleMarks } from '../kit/last-good';
import { circuitReadiness } from '../kit/resilience';
import type { BackendSettings } from '../kit/run-subgraph';
import { SoapClient } from '../kit/soap-client';
import { openStore } from '../kit/store';
import { createSubgraph, loadTypeDefs } from '../kit/subgraph-server';
import { HelpdeskClient, type TicketsBackend, type SupportTicket } from './helpdesk-client';
import { permissions } from './permissions';
import { resolvers, type TicketsContext } from './resolvers';

export const typeDefs = loadTypeDefs(__dirname);

/**
 * The support-tickets subgraph over any TicketsBackend; `newBackend` is called once per request. Idempotency records
 * live in `idempotency`, in process memory unless given one over Redis.
 */
export function createSupportTicketsSubgraph(options: {
  newBackend(stale: StaleMarks): TicketsBackend;
  log: Logger;
  idempotency?: IdempotencyStore;
  readiness?(): Readiness;
  close?(): Promise<void>;
}) {
  const idempotency = options.idempotency ?? new IdempotencyStore(openStore('tickets-idempotency', { log: options.log }), options.log);
  return createSubgraph<TicketsContext>({
    name: 'support-tickets',
    typeDefs,
    resolvers,
    permissions,
    log: options.log,
    readiness: options.readiness,
    close: options.close,
    backends: (stale) => ({ tickets: options.newBackend(stale), idempotency }),
  });
}

/** The support-tickets subgraph over the helpdesk at `url`, sharing one connection pool across requests and, with Redis, replicas. */
export function supportTicketsOverHelpdesk({ url, connections, resilience, redisUrl, log }: BackendSettings) {
  const helpdesk = new SoapClient({ backend: 'helpdesk', endpoint: url, connections, resilience, log });
  const lastGood = new LastGood<SupportTicket[]>('helpdesk', openStore('support-tickets-last-good', { redisUrl, log }), log);
  const store = openStore('tickets-idempotency', { redisUrl, log });
  return createSupportTicketsSubgraph({
    newBackend: (stale) => new HelpdeskClient(helpdesk, { lastGood, stale }),
    idempotency: new IdempotencyStore(store, log),
    log,
    readiness: circuitReadiness(helpdesk.policy),
    close: async () => {
      await helpdesk.close();
      await lastGood.close();
      await store.disconnect();
    },
  });
}
