import { createServer, type RequestListener } from 'node:http';
import { subgraphTokenHeader } from './peer-tokens';

interface HiveGatewayOptions {
  supergraph: string;
  logging: boolean;
  propagateHeaders: { fromClientToSubgraphs(payload: { request: Request; subgraphName: string }): Record<string, string> };
}
// Loaded untyped: its typings pull in graphql-yoga's global GraphQLError augmentation, which contradicts Apollo Server's.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createGatewayRuntime } = require('@graphql-hive/gateway') as { createGatewayRuntime(options: HiveGatewayOptions): RequestListener };

/**
 * Hive Gateway with its defaults (including its merging of identical in-flight subgraph requests), serving the same
 * supergraph and forwarding the client's token for each subgraph as its Authorization header to the same zero-trust
 * subgraphs.
 */
const gateway = createGatewayRuntime({
  supergraph: process.env.SUPERGRAPH_PATH as string,
  logging: false,
  propagateHeaders: {
    fromClientToSubgraphs: ({ request, subgraphName }) => ({ authorization: request.headers.get(subgraphTokenHeader(subgraphName)) ?? '' }),
  },
});
createServer(gateway).listen(Number(process.env.PORT), '127.0.0.1');
