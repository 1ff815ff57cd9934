import type { GraphQLSchema } from 'graphql';
import type { Identity } from '../platform/identity';
import { silentLogger } from '../platform/log';
import { buildSubgraph, declarationOf } from '../subgraphs/kit/build-subgraph';
import { StaleMarks } from '../subgraphs/kit/last-good';
import { defaultResilience } from '../subgraphs/kit/resilience';
import { subgraphSchema, type SubgraphContext } from '../subgraphs/kit/subgraph-server';

/** A subgraph without its server: the schema its server executes, and a context per operation as its server builds one. */
export interface InProcessSubgraph {
  /** The federated schema with every field guarded by the subgraph's rules. */
  schema: GraphQLSchema;
  /** Fresh adapters and DataLoaders for one operation of `viewer`, with its stale marks and its own signal (never aborted). */
  context(viewer: Identity): SubgraphContext;
  close(): Promise<void>;
}

/**
 * Subgraph `name` built in this process from its declaration as its server builds it (the same guarded schema and
 * adapters, idempotency records under `dataDir`, runtime) against its backend at `backendUrl`, with the subgraphs'
 * default settings and the environment its process got (`env`).
 */
export async function inProcessSubgraph(name: string, backendUrl: string, dataDir: string, env: Record<string, string>): Promise<InProcessSubgraph> {
  const declaration = declarationOf(name);
  // As the subgraph processes run by default: BACKEND_CONNECTIONS 32, default resilience, no entity cache, no Redis.
  const subgraph = buildSubgraph(
    name,
    { url: backendUrl, connections: 32, resilience: defaultResilience, dataDir, entityCache: false, log: silentLogger, env: { ...process.env, ...env } },
    declaration,
  );
  // Its runtime too (the orders subgraph's payment workflows, on the stack's database), as its server starts it.
  await subgraph.start();
  return {
    schema: subgraphSchema(declaration),
    context(viewer) {
      const request = { stale: new StaleMarks(), signal: new AbortController().signal };
      return { viewer, ...request, ...subgraph.backends(request) } as SubgraphContext;
    },
    close: () => subgraph.close(),
  };
}
