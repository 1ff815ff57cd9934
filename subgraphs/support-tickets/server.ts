import type { Logger } from '../../platform/log';
import type { BackendSettings } from '../kit/run-subgraph';
import { SoapClient } from '../kit/soap-client';
import { createSubgraph, loadTypeDefs } from '../kit/subgraph-server';
import { HelpdeskClient, type TicketsBackend } from './helpdesk-client';
import { permissions } from './permissions';
import { resolvers, type TicketsContext } from './resolvers';

export const typeDefs = loadTypeDefs(__dirname);

/** The support-tickets subgraph over any TicketsBackend; `newBackend` is called once per request. */
export function createSupportTicketsSubgraph(options: { newBackend(): TicketsBackend; log: Logger; close?(): Promise<void> }) {
  return createSubgraph<TicketsContext>({
    typeDefs,
    resolvers,
    permissions,
    log: options.log,
    close: options.close,
    backends: () => ({ tickets: options.newBackend() }),
  });
}

/** The support-tickets subgraph over the helpdesk at `url`, sharing one connection pool across requests. */
export function supportTicketsOverHelpdesk({ url, timeoutMs, connections, log }: BackendSettings) {
  const helpdesk = new SoapClient({ backend: 'helpdesk', endpoint: url, timeoutMs, connections });
  return createSupportTicketsSubgraph({ newBackend: () => new HelpdeskClient(helpdesk), log, close: () => helpdesk.close() });
}
