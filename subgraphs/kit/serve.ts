import type { IncomingMessage } from 'node:http';
import type { ApolloServer, BaseContext } from '@apollo/server';
import { createGraphQLHttpServer } from '../../platform/graphql-http';
import { closeServer, listen } from '../../platform/http';
import type { Logger } from '../../platform/log';
import type { RunningService } from '../../platform/run';

/** A subgraph ready to serve: its Apollo server, how it builds a request's context, and what to release at the end. */
export interface Subgraph<TContext extends BaseContext> {
  apollo: ApolloServer<TContext>;
  /** Builds the per-request context (fresh adapters and DataLoaders); no I/O. */
  context(req: IncomingMessage): TContext;
  /** Releases process-wide resources such as backend connection pools. */
  close(): Promise<void>;
}

/** Subgraph requests are small GraphQL documents with entity representations; 1 MiB is far beyond any real one. */
const MAX_BODY_BYTES = 1024 * 1024;

/** Starts a subgraph's Apollo server and serves it over HTTP on `port` (0 for any free port). */
export async function serveSubgraph<TContext extends BaseContext>(
  subgraph: Subgraph<TContext>,
  options: { port: number; host: string; log: Logger },
): Promise<RunningService> {
  await subgraph.apollo.start();
  const server = createGraphQLHttpServer({
    apollo: subgraph.apollo,
    context: (req) => subgraph.context(req),
    readiness: () => ({ ready: true }),
    maxBodyBytes: MAX_BODY_BYTES,
    log: options.log,
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
