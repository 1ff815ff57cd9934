import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import { Agent, fetch } from 'undici';
import type { GatewayContext } from './context';

type Fetcher = NonNullable<NonNullable<ConstructorParameters<typeof RemoteGraphQLDataSource>[0]>['fetcher']>;
type FetcherResponse = Parameters<RemoteGraphQLDataSource['errorFromResponse']>[0];
type GatewayGraphQLResponse = Awaited<ReturnType<RemoteGraphQLDataSource['process']>>;

/** One keep-alive connection pool shared by every subgraph fetch of the process, each fetch with a deadline. */
export function createSubgraphFetcher(options: { timeoutMs: number; connections: number; tls?: { ca: Buffer; cert: Buffer; key: Buffer } }): {
  fetcher: Fetcher;
  close(): Promise<void>;
} {
  // With `tls`, the gateway presents its client certificate and trusts only subgraph certificates from that CA (mTLS).
  const agent = new Agent({ connections: options.connections, keepAliveTimeout: 30_000, connect: options.tls });
  const fetcher = ((url: string, init?: Record<string, unknown>) =>
    fetch(url, { ...init, dispatcher: agent, signal: AbortSignal.timeout(options.timeoutMs) })) as unknown as Fetcher;
  return { fetcher, close: () => agent.close() };
}

/**
 * A subgraph as the gateway calls it. Failures reach clients as SUBGRAPH_UNAVAILABLE / SUBGRAPH_ERROR naming the
 * subgraph, never with its URL or response body (the stock data source copies both into the error).
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource {
  constructor(
    private readonly subgraph: string,
    url: string,
    fetcher: Fetcher,
  ) {
    super({ url, fetcher });
  }

  /** Every subgraph call carries the caller's identity, signed by the gateway; the client's own credential stays here. */
  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    if ('internalToken' in context && context.internalToken) request.http?.headers.set('authorization', `Bearer ${context.internalToken}`);
  }

  override async process(options: GraphQLDataSourceProcessOptions): Promise<GatewayGraphQLResponse> {
    try {
      return await super.process(options);
    } catch (error) {
      if (error instanceof GraphQLError) throw error;
      throw new GraphQLError(`subgraph "${this.subgraph}" is unavailable`, {
        extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: this.subgraph },
        originalError: error instanceof Error ? error : undefined,
      });
    }
  }

  override async errorFromResponse(response: FetcherResponse): Promise<GraphQLError> {
    const code = response.status === 401 ? 'UNAUTHENTICATED' : response.status === 403 ? 'FORBIDDEN' : 'SUBGRAPH_ERROR';
    return new GraphQLError(`subgraph "${this.subgraph}" answered HTTP ${response.status}`, { extensions: { code, serviceName: this.subgraph } });
  }
}
