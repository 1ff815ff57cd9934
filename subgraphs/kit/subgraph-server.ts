import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { NoSchemaIntrospectionCustomRule, parse, type FormattedExecutionResult, type GraphQLError, type GraphQLSchema } from 'graphql';
import { isProduction } from '../../platform/env';
import { errorMasker, PUBLIC_ERROR_CODES, type PublicErrorCode } from '../../platform/errors';
import type { Logger } from '../../platform/log';
import { supportedOperationsPlugin } from '../../platform/supported-operations';
import { StaleMarks } from './last-good';
import { subgraphOperationLimits } from './operation-limits';
import { protectSchema, type IRules, type ViewerContext } from './permissions';
import { SubgraphExecutor } from './subgraph-executor';

/** The resolver map `buildSubgraphSchema` takes (its own type is not exported from the package's entry). */
type GraphQLResolverMap<_TContext> = NonNullable<Extract<Parameters<typeof buildSubgraphSchema>[0], { typeDefs: unknown }>['resolvers']>;

/** Reads a subgraph's `schema.graphql` from its own folder (not the working directory). */
export function loadTypeDefs(folder: string): string {
  return readFileSync(join(folder, 'schema.graphql'), 'utf8');
}

/** Client mistakes: answered, not worth a log line. */
const QUIET_CODES: ReadonlySet<string> = new Set<PublicErrorCode>(['BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED']);

/** What one request hands its adapters: where they mark stale answers, and the signal that ends its backend calls. */
export interface RequestScope {
  stale: StaleMarks;
  /** Aborts at the request's deadline or when its caller goes away: pending calls end and no new one starts. */
  signal: AbortSignal;
}

/** Context every subgraph request has: the verified caller, its stale marks and its signal. */
export type SubgraphContext = ViewerContext & RequestScope;

/** What a subgraph's schema is made of: its SDL, resolvers and graphql-shield rules. */
export interface SchemaParts {
  typeDefs: string;
  // buildSubgraphSchema types resolvers with an unknown context; each subgraph types its own.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  resolvers: GraphQLResolverMap<any>;
  permissions: IRules;
}

/** The federation-ready schema a subgraph executes, every field guarded by its rules (deny by default). */
export function subgraphSchema(parts: SchemaParts): GraphQLSchema {
  return protectSchema(buildSubgraphSchema({ typeDefs: parse(parts.typeDefs), resolvers: parts.resolvers }), parts.permissions);
}

/**
 * A subgraph server from SDL, resolvers and graphql-shield rules: federation-ready schema, every field guarded (deny by
 * default), its own depth and cost limits, no landing page, no traces, no stack traces, internal errors masked and
 * logged. A gateway's fetches run on the lean path of SubgraphExecutor; every other request is Apollo Server's.
 */
export function createSubgraphServer<TContext extends SubgraphContext>(
  options: SchemaParts & { log: Logger; /** Apollo's default: none in production. */ introspection?: boolean },
): SubgraphExecutor<TContext> {
  const limits = subgraphOperationLimits<TContext>();
  // Subgraphs answer the gateway, which validated the operation against the supergraph first: no hints of any kind.
  const formatError = errorMasker(options.log, { hideSuggestions: true });
  const report = operationReport(options.log);
  // Apollo's own default, stated here so that both paths follow it.
  const introspection = options.introspection ?? !isProduction();
  const apollo = new ApolloServer<TContext>({
    schema: subgraphSchema(options),
    introspection,
    includeStacktraceInErrorResponses: false,
    // Signals are platform/run.ts's: Apollo's handler would stop mid-request and re-raise the signal, killing the drain.
    stopOnTerminationSignals: false,
    formatError,
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
            async willSendResponse({ response, contextValue, operationName }) {
              if (response.body.kind === 'single') report.answered(response.body.singleResult, contextValue, operationName ?? undefined, started);
            },
            async didEncounterErrors({ errors, operationName }) {
              report.failed(errors, operationName ?? undefined);
            },
          };
        },
      },
    ],
  });
  return new SubgraphExecutor(apollo, {
    schema: subgraphSchema(options),
    validationRules: introspection ? limits.validationRules : [...limits.validationRules, NoSchemaIntrospectionCustomRule],
    formatError,
    finish: (result, contextValue, operationName, errors, started) => {
      if (errors.length > 0) report.failed(errors, operationName);
      report.answered(result, contextValue, operationName, started);
    },
  });
}

/** What every answered operation leaves behind, whichever path ran it: the stale mark for the gateway, and logs. */
function operationReport(log: Logger) {
  return {
    /** Tells the gateway (and so the client) that part of the answer is a last good value, not a live one. */
    answered(result: FormattedExecutionResult, context: SubgraphContext, operationName: string | undefined, started: number) {
      const codes = (result.errors ?? []).map((error) => error.extensions?.code);
      log.debug({ operation: operationName ?? 'anonymous', durationMs: Math.round(performance.now() - started), errorCodes: codes }, 'subgraph operation');
      if (context.stale.backends.size === 0) return;
      (result as { extensions?: Record<string, unknown> }).extensions = { ...result.extensions, stale: { backends: [...context.stale.backends] } };
    },
    failed(errors: readonly GraphQLError[], operationName: string | undefined) {
      for (const error of errors) {
        const code = error.extensions?.code;
        // Internal errors are logged by the masker, with the correlation id the client sees.
        if (typeof code !== 'string' || QUIET_CODES.has(code) || !PUBLIC_ERROR_CODES.has(code)) continue;
        log.warn({ operationName, code, path: error.path, err: error.originalError ?? error }, error.message);
      }
    },
  };
}
