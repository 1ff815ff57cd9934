import { HeaderMap, type ApolloServer, type HTTPGraphQLRequest, type HTTPGraphQLResponse } from '@apollo/server';
import {
  execute,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type FormattedExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValidationRule,
} from 'graphql';
import { LRUCache } from 'lru-cache';
import { requestCost, SUBGRAPH_LIMITS } from '../../platform/operation-cost';
import { cacheControlHeader, operationCachePolicy } from './cache-policy';

/** A document the fast path has parsed, validated and resolved once: what every later request with that text reuses. */
interface PreparedOperation {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  cachePolicy: ReturnType<typeof operationCachePolicy>;
}

/**
 * Prepared documents are kept up to this many characters of query text in all, as Apollo's document store bounds
 * itself (30 MiB): the query plans of a supergraph use a few hundred distinct fetches, and a caller sending new
 * documents without end only evicts its own.
 */
const PREPARED_TEXT_CHARS = 30 * 1024 * 1024;

/** What a request body must be, exactly, for the fast path: the shape a gateway's fetch has. */
interface PlainBody {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

function plainBody(request: HTTPGraphQLRequest): PlainBody | undefined {
  if (request.method !== 'POST' || typeof request.body !== 'object' || request.body === null) return undefined;
  const body = request.body as Record<string, unknown>;
  for (const key of Object.keys(body)) if (key !== 'query' && key !== 'variables' && key !== 'operationName') return undefined;
  if (typeof body.query !== 'string') return undefined;
  if (body.variables != null && (typeof body.variables !== 'object' || Array.isArray(body.variables))) return undefined;
  if (body.operationName != null && typeof body.operationName !== 'string') return undefined;
  return body as unknown as PlainBody;
}

/** Whether the client takes `application/json` answers (a gateway's fetch); other wishes go through Apollo's negotiation. */
function acceptsPlainJson(headers: HeaderMap): boolean {
  const accept = headers.get('accept');
  return accept === undefined || accept === 'application/json' || accept === '*/*';
}

export interface SubgraphExecutorOptions<TContext> {
  /** The same guarded schema Apollo serves, as its own instance (Apollo wraps the resolvers of the schema it is given). */
  schema: GraphQLSchema;
  /** Validation beyond graphql-js's own rules: the depth limit, and no introspection where Apollo allows none. */
  validationRules: readonly ValidationRule[];
  /** Apollo's `formatError`: the one masking of internal errors. */
  formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError;
  /** What the answer tells of the request once executed: stale extension, logs. */
  finish(result: FormattedExecutionResult, context: TContext, operationName: string | undefined, errors: readonly GraphQLError[], started: number): void;
}

/**
 * A subgraph's request handler: the requests a gateway sends (a POST of a valid query or mutation already seen, JSON
 * answers) are executed by graphql-js directly — parsed, validated and cache-hinted once per document, no plugin
 * pipeline per request, no per-field hooks. Everything else (GET, persisted queries, other media types, invalid
 * documents or variables, operations over the subgraph's cost limit, a context that fails) goes to the Apollo server,
 * so every refusal is Apollo's, word for word.
 */
export class SubgraphExecutor<TContext extends object> {
  private readonly prepared = new LRUCache<string, PreparedOperation | false>({
    maxSize: PREPARED_TEXT_CHARS,
    sizeCalculation: (_value, key) => key.length + 1,
  });
  private readonly rules: readonly ValidationRule[];

  constructor(
    private readonly apollo: ApolloServer<TContext>,
    private readonly options: SubgraphExecutorOptions<TContext>,
  ) {
    this.rules = [...specifiedRules, ...options.validationRules];
  }

  start(): Promise<void> {
    return this.apollo.start();
  }

  stop(): Promise<void> {
    return this.apollo.stop();
  }

  async executeHTTPGraphQLRequest(args: { httpGraphQLRequest: HTTPGraphQLRequest; context: () => Promise<TContext> }): Promise<HTTPGraphQLResponse> {
    const body = plainBody(args.httpGraphQLRequest);
    const prepared = body && acceptsPlainJson(args.httpGraphQLRequest.headers) ? this.prepare(body) : undefined;
    const variables = body?.variables ?? undefined;
    if (!prepared || !this.admissible(prepared, variables)) return this.apollo.executeHTTPGraphQLRequest(args);
    let contextValue: TContext;
    try {
      contextValue = await args.context();
    } catch (error) {
      // Apollo answers a failed context (a deadline already passed: 504) with the error's own status.
      return this.apollo.executeHTTPGraphQLRequest({ ...args, context: () => Promise.reject(error) });
    }
    const { result, status } = await this.run(prepared, variables, contextValue);
    const headers = new HeaderMap([
      ['content-type', 'application/json; charset=utf-8'],
      ['cache-control', result.errors ? cacheControlHeader(undefined) : cacheControlHeader(prepared.cachePolicy.forVariables(variables))],
    ]);
    return { status, headers, body: { kind: 'complete', string: JSON.stringify(result) } };
  }

  /** Runs one operation with a given context, as a gateway's fetch would be run: for tests of a subgraph's operations. */
  async executeOperation(request: { query: string; variables?: Record<string, unknown> }, contextValue: TContext): Promise<FormattedExecutionResult> {
    const prepared = this.prepare({ query: request.query });
    if (!prepared || !this.admissible(prepared, request.variables)) {
      const response = await this.apollo.executeOperation(request, { contextValue });
      if (response.body.kind !== 'single') throw new Error('expected a single result');
      return response.body.singleResult;
    }
    return (await this.run(prepared, request.variables, contextValue)).result;
  }

  /** The operation a body names, parsed and checked once; undefined when Apollo must answer (and so refuse) it. */
  private prepare(body: PlainBody): PreparedOperation | undefined {
    const key = `${body.operationName ?? ''}\n${body.query}`;
    let prepared = this.prepared.get(key);
    if (prepared === undefined) {
      prepared = this.analyse(body.query, body.operationName ?? undefined) ?? false;
      this.prepared.set(key, prepared);
    }
    return prepared || undefined;
  }

  private analyse(query: string, operationName: string | undefined): PreparedOperation | undefined {
    let document: DocumentNode;
    try {
      document = parse(query);
    } catch {
      return undefined;
    }
    if (validate(this.options.schema, document, this.rules).length > 0) return undefined;
    const operation = getOperationAST(document, operationName);
    if (!operation || operation.operation === 'subscription') return undefined;
    return { document, operation, cachePolicy: operationCachePolicy(this.options.schema, document, operation) };
  }

  /** Variables that coerce, and a cost within the subgraph's limit; otherwise Apollo refuses the request. */
  private admissible(prepared: PreparedOperation, variables: Record<string, unknown> | undefined): boolean {
    const coerced = getVariableValues(this.options.schema, prepared.operation.variableDefinitions ?? [], variables ?? {}, { maxErrors: 1 });
    if (coerced.errors) return false;
    return requestCost(this.options.schema, prepared.document, prepared.operation, variables) <= SUBGRAPH_LIMITS.maxCost;
  }

  private async run(prepared: PreparedOperation, variables: Record<string, unknown> | undefined, contextValue: TContext) {
    const started = performance.now();
    const executed = await execute({
      schema: this.options.schema,
      document: prepared.document,
      operationName: prepared.operation.name?.value,
      variableValues: variables,
      contextValue,
    });
    const errors = executed.errors ?? [];
    let status = 200;
    const result: FormattedExecutionResult = {};
    if (errors.length > 0) {
      result.errors = errors.map((error) => {
        const { http, ...extensions } = error.extensions as { http?: { status?: number } } & Record<string, unknown>;
        // As Apollo does: an error asking for an HTTP status sets it (a refusal), and the code defaults to internal.
        if (typeof http?.status === 'number') status = http.status;
        const formatted = { ...error.toJSON(), extensions: { ...extensions, code: extensions.code ?? 'INTERNAL_SERVER_ERROR' } };
        return this.options.formatError(formatted, error);
      });
    }
    result.data = executed.data;
    this.options.finish(result, contextValue, prepared.operation.name?.value, errors, started);
    return { result, status };
  }
}
