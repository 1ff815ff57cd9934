import type { ApolloServer } from '@apollo/server';
import type { JWTVerifyGetKey } from 'jose';
import type { ServerOptions as TlsServerOptions } from 'node:https';
import { createGraphQLHttpServer, type Readiness } from '../../platform/graphql-http';
import { closeServer, listen } from '../../platform/http';
import type { Logger } from '../../platform/log';
import type { RunningService } from '../../platform/run';
import { gatewayViewer } from './internal-auth';
import { StaleMarks } from './last-good';
import type { SubgraphContext } from './subgraph-server';

/** A subgraph ready to serve: its Apollo server, how a request gets its adapters, and what to release at the end. */
export interface Subgraph<TBackends extends object> {
  /** The subgraph's name, as in schema/subgraphs.json. */
  name: string;
  apollo: ApolloServer<TBackends & SubgraphContext>;
  /** Fresh adapters and DataLoaders for one request, marking stale answers in `stale`; no I/O. */
  backends(stale: StaleMarks): TBackends;
  /** What `/ready` says: not ready while the backend's circuit is open. */
  readiness(): Readiness;
  /** Releases process-wide resources such as backend connection pools. */
  close(): Promise<void>;
}

/** Subgraph requests are small GraphQL documents with entity representations; 1 MiB is far beyond any real one. */
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Starts a subgraph's Apollo server and serves it over HTTP on `port` (0 for any free port). Every request must carry
 * a token signed by one of `gatewayKeys` for this subgraph by name; with `tls` the subgraph serves HTTPS (mutual TLS when it requests certs).
 */
export async function serveSubgraph<TBackends extends object>(
  subgraph: Subgraph<TBackends>,
  options: { port: number; host: string; log: Logger; gatewayKeys: JWTVerifyGetKey; tls?: TlsServerOptions },
): Promise<RunningService> {
  await subgraph.apollo.start();
  const viewerOf = gatewayViewer(subgraph.name, options.gatewayKeys);
  const server = createGraphQLHttpServer({
    service: subgraph.name,
    apollo: subgraph.apollo,
    context: async (req) => {
      const viewer = await viewerOf(req);
      const stale = new StaleMarks();
      return { viewer, stale, ...subgraph.backends(stale) };
    },
    readiness: () => subgraph.readiness(),
    maxBodyBytes: MAX_BODY_BYTES,
    log: options.log,
    tls: options.tls,
  });
  const url = await listen(server, options.port, options.host);
  return {
    url: `${url}/graphql`,
    async stop() {
      await closeServer(server);
      await subgraph.apollo.stop();
      await subgraph.close();
    },
  };
}
