import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
type GraphQLResolverMap<_TContext> = NonNullable<Extract<Parameters<typeof buildSubgraphSchema>[0], { typeDefs: unknown }>['resolvers']>;
import { parse } from 'graphql';
import { errorMasker, PUBLIC_ERROR_CODES } from '../../platform/errors';
import type { Readiness } from '../../platform/graphql-http';
import type { Logger } from '../../platform/log';
import { supportedOperationsPlugin } from '../../platform/supported-operations';
import { StaleMarks } from './last-good';
import { subgraphOperationLimits } from './operation-limits';
import { protectSchema, type IRules, type ViewerContext } from './permissions';
import type { Subgraph } from './serve';

/** Reads a subgraph's `schema.graphql` from its own folder (not the working directory). */
export function loadTypeDefs(folder: string): string {
  return readFileSync(join(folder, 'schema.graphql'), 'utf8');
}

/** Client mistakes: answered, not worth a log line. */
const QUIET_CODES = new Set(['BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED']);

/** What one request hands its adapters: where they mark stale answers, and the signal that ends its backend calls. */
export interface RequestScope {
  stale: StaleMarks;
  /** Aborts at the request's deadline or when its caller goes away: pending calls end and no new one starts. */
  signal: AbortSignal;
}

/** Context every subgraph request has: the verified caller, its stale marks and its signal. */
export type SubgraphContext = ViewerContext & RequestScope;

/**
 * An Apollo subgraph server from SDL, resolvers and graphql-shield rules: federation-ready schema, every field
 * guarded (deny by default), its own depth and cost limits, no landing page, no traces, no stack traces, internal
 * errors masked and logged.
 */
export function createSubgraphServer<TContext extends SubgraphContext>(options: {
  typeDefs: string;
  // buildSubgraphSchema types resolvers with an unknown context; each subgraph types its own.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  resolvers: GraphQLResolverMap<any>;
  permissions: IRules;
  log: Logger;
}): ApolloServer<TContext> {
  const limits = subgraphOperationLimits<TContext>();
  return new ApolloServer<TContext>({
    schema: protectSchema(buildSubgraphSchema({ typeDefs: parse(options.typeDefs), resolvers: options.resolvers }), options.permissions),
    includeStacktraceInErrorResponses: false,
    // Signals are platform/run.ts's: Apollo's handler would stop mid-request and re-raise the signal, killing the drain.
    stopOnTerminationSignals: false,
    // Subgraphs answer the gateway, which validated the operation against the supergraph first: no hints of any kind.
    formatError: errorMasker(options.log, { hideSuggestions: true }),
    validationRules: limits.validationRules,
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      supportedOperationsPlugin,
      ApolloServerPluginInlineTraceDisabled(),
      ...limits.plugins,
      {
        async requestDidStart() {
          const started = performance.now();
          return {
            // Tells the gateway (and so the client) that part of the answer is a last good value, not a live one.
            async willSendResponse({ response, contextValue, operationName }) {
              const codes = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []).map((error) => error.extensions?.code) : [];
              options.log.debug(
                { operation: operationName ?? 'anonymous', durationMs: Math.round(performance.now() - started), errorCodes: codes },
                'subgraph operation',
              );
              if (response.body.kind !== 'single' || contextValue.stale.backends.size === 0) return;
              const result = response.body.singleResult;
              result.extensions = { ...result.extensions, stale: { backends: [...contextValue.stale.backends] } };
            },
            async didEncounterErrors({ errors, operationName }) {
              for (const error of errors) {
                const code = error.extensions?.code;
                // Internal errors are logged by the masker, with the correlation id the client sees.
                if (typeof code !== 'string' || QUIET_CODES.has(code) || !PUBLIC_ERROR_CODES.has(code)) continue;
                options.log.warn({ operationName, code, path: error.path, err: error.originalError ?? error }, error.message);
              }
            },
          };
        },
      },
    ],
  });
}

/** What a subgraph's `create<Name>Subgraph` takes: how a request gets its adapter, and the process-wide hooks. */
export interface SubgraphOptions<TBackend> {
  /** Called once per request; the adapter marks stale answers in `request.stale` and passes `request.signal` on. */
  newBackend(request: RequestScope): TBackend;
  log: Logger;
  readiness?(): Readiness;
  close?(): Promise<void>;
}

/** Everything a subgraph's `server.ts` provides: its SDL, resolvers, field rules and how a request gets fresh adapters. */
export function createSubgraph<TBackends extends object>(options: {
  name: string;
  typeDefs: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  resolvers: GraphQLResolverMap<any>;
  permissions: IRules;
  log: Logger;
  /** Called once per request, so DataLoader caches never outlive it; adapters mark stale answers and follow the signal. */
  backends(request: RequestScope): TBackends;
  /** Whether the subgraph can do its job now (its backend's circuit closed); ready when omitted. */
  readiness?(): Readiness;
  close?(): Promise<void>;
}): Subgraph<TBackends> {
  return {
    name: options.name,
    apollo: createSubgraphServer<TBackends & SubgraphContext>(options),
    backends: options.backends,
    readiness: options.readiness ?? (() => ({ ready: true })),
    close: options.close ?? (async () => undefined),
  };
}
