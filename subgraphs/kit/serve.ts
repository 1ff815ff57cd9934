import type { JWTVerifyGetKey } from 'jose';
import type { ServerOptions as TlsServerOptions } from 'node:https';
import { createGraphQLHttpServer } from '../../platform/graphql-http';
import { closeServer, listen } from '../../platform/http';
import { DEFAULT_BODY_TIMEOUT_MS } from '../../platform/listener-guards';
import { DEFAULT_MAX_INFLIGHT } from '../../platform/overload';
import type { Logger } from '../../platform/log';
import type { RunningService } from '../../platform/run';
import type { Subgraph } from './build-subgraph';
import { gatewayViewer } from './internal-auth';
import { StaleMarks } from './last-good';
import { requestSignal } from './request-signal';

/** Subgraph requests are small GraphQL documents with entity representations; 1 MiB is far beyond any real one. */
const MAX_BODY_BYTES = 1024 * 1024;
/** Subgraphs serve the gateway, whose processes keep at most SUBGRAPH_CONNECTIONS (up to 4,096) open each. */
const MAX_CONNECTIONS_PER_CLIENT = 4_096;

/**
 * Starts a subgraph's Apollo server and serves it over HTTP on `port` (0 for any free port). Every request must carry
 * a token signed by one of `gatewayKeys` for this subgraph by `name`; with `tls` the subgraph serves HTTPS (mutual TLS
 * when it requests certs). A request's work (its backend calls) stops at its deadline, at most `requestDeadlineMs`, or
 * when its caller leaves.
 */
export async function serveSubgraph(
  subgraph: Subgraph,
  options: {
    name: string;
    port: number;
    host: string;
    log: Logger;
    gatewayKeys: JWTVerifyGetKey;
    requestDeadlineMs: number;
    bodyTimeoutMs?: number;
    maxInFlight?: number;
    tls?: TlsServerOptions;
  },
): Promise<RunningService> {
  await subgraph.start();
  await subgraph.server.start();
  const viewerOf = gatewayViewer(options.name, options.gatewayKeys);
  const server = createGraphQLHttpServer({
    service: options.name,
    apollo: subgraph.server,
    authenticate: (req) => viewerOf(req),
    context: (req, viewer, res) => {
      const request = { stale: new StaleMarks(), signal: requestSignal(req, res, options.requestDeadlineMs) };
      return { viewer, ...request, ...subgraph.backends(request) };
    },
    readiness: () => subgraph.readiness(),
    intercept: (req, res) => subgraph.intercept(req, res),
    maxBodyBytes: MAX_BODY_BYTES,
    maxInFlight: options.maxInFlight ?? DEFAULT_MAX_INFLIGHT.subgraph,
    limits: { bodyTimeoutMs: options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS, maxConnectionsPerClient: MAX_CONNECTIONS_PER_CLIENT },
    log: options.log,
    tls: options.tls,
  });
  const url = await listen(server, options.port, options.host);
  return {
    url: `${url}/graphql`,
    async stop() {
      await closeServer(server);
      await subgraph.server.stop();
      await subgraph.close();
    },
  };
}
