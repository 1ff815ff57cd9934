import type { ApolloServer, BaseContext } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';

export interface OperationResult {
  data?: Record<string, unknown> | null;
  errors?: readonly GraphQLFormattedError[];
}

/** Runs one operation against an Apollo server in-process, with the given context, and returns its single result. */
export async function runOperation<TContext extends BaseContext>(
  apollo: ApolloServer<TContext>,
  contextValue: TContext,
  query: string,
  variables?: Record<string, unknown>,
): Promise<OperationResult> {
  const response = await apollo.executeOperation({ query, variables }, { contextValue });
  if (response.body.kind !== 'single') throw new Error('expected a single result');
  return response.body.singleResult as OperationResult;
}

/** The `extensions.code` of every error, in order. */
export const errorCodes = (result: OperationResult): unknown[] => (result.errors ?? []).map((e) => e.extensions?.code);
