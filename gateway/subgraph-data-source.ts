import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError, Kind, parse, type DocumentNode, type SelectionSetNode } from 'graphql';
import { correlationHeaders } from '../platform/request-context';
import { DEADLINE_HEADER } from '../platform/request-deadline';
import type { GatewayContext } from './context';
import { gatewayMetrics } from './metrics';
import type { SubgraphClient } from './subgraph-client';

type GatewayGraphQLResponse = Awaited<ReturnType<GraphQLDataSource['process']>>;

/** An operation a client sent, as opposed to the gateway's own health checks and schema loads. */
type IncomingOperation = Extract<GraphQLDataSourceProcessOptions, { incomingRequestContext: unknown }>;

/**
 * A cache hint from a subgraph's Cache-Control header, read as Apollo's own data source reads it: `max-age` in whole
 * seconds (absent or malformed: not cacheable), and the scope when `private` or `public` is given. Directive names are
 * case-insensitive (RFC 9111); the other directives say nothing about a GraphQL cache hint.
 */
export function cacheHint(header: string | undefined): { maxAge: number; scope?: 'PUBLIC' | 'PRIVATE' } {
  const directives = new Map(
    (header ?? '').split(',').map((directive) => {
      const [name = '', value] = directive.split('=', 2).map((part) => part.trim());
      return [name.toLowerCase(), value?.replace(/^"(.*)"$/, '$1')] as const;
    }),
  );
  const maxAge = directives.get('max-age');
  return {
    maxAge: maxAge !== undefined && /^[0-9]+$/.test(maxAge) ? Number(maxAge) : 0,
    ...(directives.has('private') ? { scope: 'PRIVATE' as const } : directives.has('public') ? { scope: 'PUBLIC' as const } : {}),
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

/** The subgraph refused the request for now (503 OVERLOADED, say): its fields are unavailable, not in error. */
class SubgraphBusyError extends Error {
  override readonly name = 'SubgraphBusyError';
}

/**
 * A subgraph as the gateway calls it: Apollo's documented `GraphQLDataSource` interface, implemented directly over a
 * pooled undici client (the stock `RemoteGraphQLDataSource` goes through `fetch` and copies the subgraph's URL and
 * body into its errors). The caller's identity goes along as a gateway-signed token, and the request's deadline bounds
 * the call. When the subgraph cannot be reached, is too slow or refuses for now (503), every field it was to fill
 * comes back null with a SUBGRAPH_UNAVAILABLE error at that field's path, so the rest of the response is still served.
 */
export class SubgraphDataSource implements GraphQLDataSource {
  constructor(
    private readonly subgraph: string,
    private readonly url: string,
    private readonly client: SubgraphClient,
    private readonly timeoutMs: number,
  ) {}

  async process(options: GraphQLDataSourceProcessOptions): Promise<GatewayGraphQLResponse> {
    const endTimer = gatewayMetrics.subgraphFetchSeconds.startTimer({ subgraph: this.subgraph });
    try {
      const response = await this.send(options);
      endTimer({ outcome: 'ok' });
      return response;
    } catch (error) {
      endTimer({ outcome: 'unavailable' });
      if (error instanceof GraphQLError) throw error;
      return this.unavailable(options, error);
    }
  }

  /**
   * The request Apollo's data source sends and the same answer handling (cache hints, errors), with plain headers over
   * the shared pool. Every call carries the caller's identity, signed by the gateway for this subgraph alone; the
   * client's own credential stays here. Queries identical in flight are sent once.
   */
  private async send(options: GraphQLDataSourceProcessOptions): Promise<GatewayGraphQLResponse> {
    const { request } = options;
    if (!request.query) throw new Error('Missing query');
    const incoming: IncomingOperation | undefined = 'incomingRequestContext' in options ? options : undefined;
    const context = incoming?.context as Partial<GatewayContext> | undefined;
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    let timeoutMs = this.timeoutMs;
    if (context?.internalTokenFor && context.deadline !== undefined) {
      headers.authorization = `Bearer ${await context.internalTokenFor(this.subgraph)}`;
      headers[DEADLINE_HEADER] = String(context.deadline);
      Object.assign(headers, correlationHeaders());
      context.subgraphsCalled?.add(this.subgraph);
      timeoutMs = Math.max(1, Math.min(timeoutMs, context.deadline - Date.now()));
    }
    const body = JSON.stringify({ query: request.query, variables: request.variables, operationName: request.operationName });
    const answer = await this.client.post(this.url, headers, body, timeoutMs, !/^\s*mutation\b/.test(request.query));
    if (answer.status === 503) throw new SubgraphBusyError(`answered HTTP ${answer.status}`);
    if (answer.status < 200 || answer.status > 299) throw this.httpError(answer.status);
    const response = JSON.parse(answer.text) as GatewayGraphQLResponse;
    if (response === null || typeof response !== 'object') throw new Error('the subgraph answered JSON that is not an object');
    const policy = incoming?.incomingRequestContext.overallCachePolicy;
    if (policy && 'restrict' in policy) policy.restrict(cacheHint(answer.cacheControl));
    // The subgraph's word that part of its answer is a last good value, for the client's `extensions.stale`.
    const stale = (response.extensions?.stale as { backends?: unknown } | undefined)?.backends;
    if (Array.isArray(stale) && context?.staleBackends) for (const backend of stale) if (typeof backend === 'string') context.staleBackends.add(backend);
    return response;
  }

  /** Errors never carry the subgraph's URL or body. */
  private httpError(status: number): GraphQLError {
    const code = status === 401 ? 'UNAUTHENTICATED' : status === 403 ? 'FORBIDDEN' : 'SUBGRAPH_ERROR';
    return new GraphQLError(`subgraph "${this.subgraph}" answered HTTP ${status}`, { extensions: { code, serviceName: this.subgraph } });
  }

  /** An answer without data, with one error per field the fetch was to fill, pathed the way the gateway maps them. */
  private unavailable(options: GraphQLDataSourceProcessOptions, cause: unknown): GatewayGraphQLResponse {
    const reason =
      cause instanceof SubgraphBusyError
        ? 'is overloaded; retry shortly'
        : cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError')
          ? 'did not answer in time'
          : 'is unavailable';
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
