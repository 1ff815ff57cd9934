import type { Readiness } from '../../platform/graphql-http';
import type { Logger } from '../../platform/log';
import { circuitReadiness } from '../kit/resilience';
import type { BackendSettings } from '../kit/run-subgraph';
import { SoapClient } from '../kit/soap-client';
import { createSubgraph, loadTypeDefs } from '../kit/subgraph-server';
import { HelpdeskClient, type TicketsBackend } from './helpdesk-client';
import { permissions } from './permissions';
import { resolvers, type TicketsContext } from './resolvers';

export const typeDefs = loadTypeDefs(__dirname);

/** The support-tickets subgraph over any TicketsBackend; `newBackend` is called once per request. */
export function createSupportTicketsSubgraph(options: { newBackend(): TicketsBackend; log: Logger; readiness?(): Readiness; close?(): Promise<void> }) {
  return createSubgraph<TicketsContext>({
    typeDefs,
    resolvers,
    permissions,
    log: options.log,
    readiness: options.readiness,
    close: options.close,
    backends: () => ({ tickets: options.newBackend() }),
  });
}

/** The support-tickets subgraph over the helpdesk at `url`, sharing one connection pool across requests. */
export function supportTicketsOverHelpdesk({ url, connections, resilience, log }: BackendSettings) {
  const helpdesk = new SoapClient({ backend: 'helpdesk', endpoint: url, connections, resilience, log });
  return createSupportTicketsSubgraph({
    newBackend: () => new HelpdeskClient(helpdesk),
    log,
    readiness: circuitReadiness(helpdesk.policy),
    close: () => helpdesk.close(),
  });
}
