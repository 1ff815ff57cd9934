import { createServer, type RequestListener } from 'node:http';

interface HiveGatewayOptions {
  supergraph: string;
  logging: boolean;
  propagateHeaders: { fromClientToSubgraphs(payload: { request: Request }): Record<string, string> };
}
// Loaded untyped: its typings pull in graphql-yoga's global GraphQLError augmentation, which contradicts Apollo Server's.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createGatewayRuntime } = require('@graphql-hive/gateway') as { createGatewayRuntime(options: HiveGatewayOptions): RequestListener };

/**
 * Hive Gateway with its defaults (including its merging of identical in-flight subgraph requests), serving the same
 * supergraph and forwarding the client's Authorization header to the same zero-trust subgraphs.
 */
const gateway = createGatewayRuntime({
  supergraph: process.env.SUPERGRAPH_PATH as string,
  logging: false,
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => ({ authorization: request.headers.get('authorization') ?? '' }),
  },
});
createServer(gateway).listen(Number(process.env.PORT), '127.0.0.1');
