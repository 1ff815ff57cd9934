import { readFileSync } from 'node:fs';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import type { IncomingHttpHeaders } from 'node:http';
import { subgraphTokenHeader } from './peer-tokens';

/**
 * A stock `@apollo/gateway` as its documentation sets it up: default data source and fetcher, no tuning. It forwards
 * the client's token for each subgraph as that subgraph's Authorization header, so it runs against the same zero-trust
 * subgraphs as Atrium.
 */
async function main() {
  const gateway = new ApolloGateway({
    supergraphSdl: readFileSync(process.env.SUPERGRAPH_PATH as string, 'utf8'),
    buildService: ({ name, url }) =>
      new RemoteGraphQLDataSource<{ headers: IncomingHttpHeaders }>({
        url,
        willSendRequest: ({ request, context }) => request.http?.headers.set('authorization', String(context.headers[subgraphTokenHeader(name)] ?? '')),
      }),
  });
  const server = new ApolloServer({ gateway });
  await startStandaloneServer(server, {
    listen: { port: Number(process.env.PORT), host: '127.0.0.1' },
    context: async ({ req }) => ({ headers: req.headers }),
  });
}

void main();
