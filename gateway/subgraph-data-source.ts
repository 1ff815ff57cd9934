import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError, Kind, parse, type DocumentNode, type SelectionSetNode } from 'graphql';
import { Agent, fetch } from 'undici';
import { correlationHeaders } from '../platform/request-context';
import type { GatewayContext } from './context';
import { gatewayMetrics } from './metrics';

type Fetcher = NonNullable<NonNullable<ConstructorParameters<typeof RemoteGraphQLDataSource>[0]>['fetcher']>;
type FetcherResponse = Parameters<RemoteGraphQLDataSource['errorFromResponse']>[0];
type GatewayGraphQLResponse = Awaited<ReturnType<RemoteGraphQLDataSource['process']>>;

/** When the client's request must be answered by (epoch ms): the gateway's deadline, propagated to each subgraph. */
export const DEADLINE_HEADER = 'x-request-deadline';

/** One keep-alive connection pool shared by every subgraph fetch of the process. */
export function createSubgraphFetcher(options: { connections: number; tls?: { ca: Buffer; cert: Buffer; key: Buffer } }): {
  /** A fetcher whose calls end at `timeoutMs`, or at the request's deadline if that comes first. */
  withTimeout(timeoutMs: number): Fetcher;
  close(): Promise<void>;
} {
  // With `tls`, the gateway presents its client certificate and trusts only subgraph certificates from that CA (mTLS).
  const agent = new Agent({ connections: options.connections, keepAliveTimeout: 30_000, connect: options.tls });
  return {
    withTimeout: (timeoutMs) =>
      ((url: string, init?: { headers?: Record<string, string> }) => {
        const deadline = Number(init?.headers?.[DEADLINE_HEADER]);
        const left = Number.isFinite(deadline) ? Math.max(1, deadline - Date.now()) : timeoutMs;
        return fetch(url, { ...init, dispatcher: agent, signal: AbortSignal.timeout(Math.min(timeoutMs, left)) });
      }) as unknown as Fetcher,
    close: () => agent.close(),
  };
}

/** The response names a fetch fills in: `_entities` fields for entity fetches, root fields otherwise. */
function selectedFields(query: string | undefined): { entities: boolean; fields: string[] } {
  let document: DocumentNode;
  try {
    document = parse(query ?? '');
  } catch {
    return { entities: false, fields: [] };
  }
  const operation = document.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  if (!operation || operation.kind !== Kind.OPERATION_DEFINITION) return { entities: false, fields: [] };
  const names = (selectionSet: SelectionSetNode | undefined): string[] =>
    (selectionSet?.selections ?? []).flatMap((selection) =>
      selection.kind === Kind.FIELD
        ? selection.name.value === '__typename'
          ? []
          : [selection.alias?.value ?? selection.name.value]
        : selection.kind === Kind.INLINE_FRAGMENT
          ? names(selection.selectionSet)
          : [],
    );
  const entities = operation.selectionSet.selections.find((selection) => selection.kind === Kind.FIELD && selection.name.value === '_entities');
  if (entities && entities.kind === Kind.FIELD) return { entities: true, fields: names(entities.selectionSet) };
  return { entities: false, fields: names(operation.selectionSet) };
}

/**
 * A subgraph as the gateway calls it. The caller's identity goes along as a gateway-signed token, and the request's
 * deadline bounds the call. When the subgraph cannot be reached or is too slow, every field it was to fill comes back
 * null with a SUBGRAPH_UNAVAILABLE error at that field's path, so the rest of the response is still served. Errors
 * never carry the subgraph's URL or response body (the stock data source copies both into the error).
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
    if (!('internalToken' in context)) return;
    request.http?.headers.set('authorization', `Bearer ${context.internalToken}`);
    request.http?.headers.set(DEADLINE_HEADER, String(context.deadline));
    for (const [name, value] of Object.entries(correlationHeaders())) request.http?.headers.set(name, value);
    context.subgraphsCalled.add(this.subgraph);
  }

  /** Collects the subgraph's word that part of its answer is a last good value, for the client's `extensions.stale`. */
  override didReceiveResponse({ response, context }: Parameters<NonNullable<RemoteGraphQLDataSource['didReceiveResponse']>>[0]): GatewayGraphQLResponse {
    const stale = (response.extensions?.stale as { backends?: unknown } | undefined)?.backends;
    if (Array.isArray(stale) && 'staleBackends' in context)
      for (const backend of stale) if (typeof backend === 'string') (context as GatewayContext).staleBackends.add(backend);
    return response;
  }

  override async process(options: GraphQLDataSourceProcessOptions): Promise<GatewayGraphQLResponse> {
    const endTimer = gatewayMetrics.subgraphFetchSeconds.startTimer({ subgraph: this.subgraph });
    try {
      const response = await super.process(options);
      endTimer({ outcome: 'ok' });
      return response;
    } catch (error) {
      endTimer({ outcome: 'unavailable' });
      if (error instanceof GraphQLError) throw error;
      return this.unavailable(options, error);
    }
  }

  override async errorFromResponse(response: FetcherResponse): Promise<GraphQLError> {
    const code = response.status === 401 ? 'UNAUTHENTICATED' : response.status === 403 ? 'FORBIDDEN' : 'SUBGRAPH_ERROR';
    return new GraphQLError(`subgraph "${this.subgraph}" answered HTTP ${response.status}`, { extensions: { code, serviceName: this.subgraph } });
  }

  /** An answer without data, with one error per field the fetch was to fill, pathed the way the gateway maps them. */
  private unavailable(options: GraphQLDataSourceProcessOptions, cause: unknown): GatewayGraphQLResponse {
    const reason = cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError') ? 'did not answer in time' : 'is unavailable';
    const error = (path?: Array<string | number>) => ({
      message: `subgraph "${this.subgraph}" ${reason}`,
      ...(path ? { path } : {}),
      extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: this.subgraph },
    });
    const { entities, fields } = selectedFields(options.request.query);
    const representations = (options.request.variables?.representations as unknown[] | undefined)?.length ?? 0;
    const errors = entities
      ? Array.from({ length: representations }, (_, index) => fields.map((field) => error(['_entities', index, field]))).flat()
      : fields.map((field) => error([field]));
    return { errors: errors.length > 0 ? errors : [error()] } as GatewayGraphQLResponse;
  }
}
