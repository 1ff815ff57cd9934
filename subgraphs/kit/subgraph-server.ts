import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApolloServer, type BaseContext } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { parse } from 'graphql';
import type { IncomingMessage } from 'node:http';
import { maskError } from '../../platform/errors';
import type { Logger } from '../../platform/log';
import type { Subgraph } from './serve';

/** Reads a subgraph's `schema.graphql` from its own folder (not the working directory). */
export function loadTypeDefs(folder: string): string {
  return readFileSync(join(folder, 'schema.graphql'), 'utf8');
}

/**
 * An Apollo subgraph server from SDL and resolvers: federation-ready schema, no landing page, no traces, no stack
 * traces, internal errors masked and logged with their cause.
 */
export function createSubgraphServer<TContext extends BaseContext>(options: {
  typeDefs: string;
  // buildSubgraphSchema types resolvers with an unknown context; each subgraph types its own.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  resolvers: GraphQLResolverMap<any>;
  log: Logger;
}): ApolloServer<TContext> {
  return new ApolloServer<TContext>({
    schema: buildSubgraphSchema({ typeDefs: parse(options.typeDefs), resolvers: options.resolvers }),
    includeStacktraceInErrorResponses: false,
    formatError: maskError,
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      {
        async requestDidStart() {
          return {
            async didEncounterErrors({ errors, operationName }) {
              for (const error of errors) {
                const code = error.extensions?.code;
                if (code === 'BAD_USER_INPUT' || code === 'GRAPHQL_VALIDATION_FAILED' || code === 'GRAPHQL_PARSE_FAILED') continue;
                options.log.warn({ operationName, code, path: error.path, err: error.originalError ?? error }, error.message);
              }
            },
          };
        },
      },
    ],
  });
}

/** Everything a subgraph's `server.ts` provides: its SDL, its resolvers and how a request gets fresh adapters. */
export function createSubgraph<TContext extends BaseContext>(options: {
  typeDefs: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  resolvers: GraphQLResolverMap<any>;
  log: Logger;
  /** Called once per request, so DataLoader caches never outlive it. */
  context(req: IncomingMessage): TContext;
  close?(): Promise<void>;
}): Subgraph<TContext> {
  return {
    apollo: createSubgraphServer<TContext>(options),
    context: options.context,
    close: options.close ?? (async () => undefined),
  };
}
