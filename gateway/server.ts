import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginUsageReportingDisabled } from '@apollo/server/plugin/disabled';
import { maskError } from '../platform/errors';
import { createGraphQLHttpServer } from '../platform/graphql-http';
import { closeServer, listen } from '../platform/http';
import type { Logger } from '../platform/log';
import type { RunningService } from '../platform/run';
import type { GatewayConfig } from './config';
import { createSubgraphFetcher, SubgraphDataSource } from './subgraph-data-source';
import { SupergraphFile } from './supergraph-file';

/** Starts the federated gateway: the supergraph from a file (reloaded on change), served over HTTP. */
export async function startGateway(config: GatewayConfig, log: Logger): Promise<RunningService> {
  const subgraphFetch = createSubgraphFetcher({ timeoutMs: config.subgraphTimeoutMs, connections: config.subgraphConnections });
  let schemaLoaded = false;
  const gateway = new ApolloGateway({
    supergraphSdl: new SupergraphFile(config.supergraphPath, log),
    buildService: ({ name, url }) => new SubgraphDataSource(name, config.subgraphUrls[name] ?? url ?? '', subgraphFetch.fetcher),
    logger: log,
  });
  gateway.onSchemaLoadOrUpdate(() => {
    schemaLoaded = true;
  });
  const apollo = new ApolloServer({
    gateway,
    includeStacktraceInErrorResponses: false,
    formatError: maskError,
    plugins: [ApolloServerPluginUsageReportingDisabled()],
  });
  await apollo.start();
  const server = createGraphQLHttpServer({
    apollo,
    context: () => ({}),
    readiness: () => (schemaLoaded ? { ready: true } : { ready: false, reason: 'supergraph not loaded' }),
    maxBodyBytes: config.maxBodyBytes,
    log,
  });
  const url = await listen(server, config.port, config.host);
  return {
    url: `${url}/graphql`,
    async stop() {
      await closeServer(server);
      await apollo.stop();
      await subgraphFetch.close();
    },
  };
}
