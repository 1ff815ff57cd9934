import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GraphQLFormattedError } from 'graphql';
import type { Identity } from '../../platform/identity';
import { repoRoot } from '../../platform/paths';
import { StaleMarks } from '../../subgraphs/kit/last-good';
import type { SubgraphExecutor } from '../../subgraphs/kit/subgraph-executor';
import type { RequestScope } from '../../subgraphs/kit/subgraph-server';
import { trustedService } from './viewers';

/** The Profile query as clients send it: the document the explorer opens with and the typed client example runs. */
export const PROFILE_QUERY = readFileSync(join(repoRoot, 'examples', 'operations', 'profile.graphql'), 'utf8');

export interface OperationResult {
  data?: Record<string, unknown> | null;
  errors?: readonly GraphQLFormattedError[];
}

/** Runs one operation in-process against a subgraph's server, with the given context, and returns its result. */
export async function runOperation<TContext extends object>(
  server: SubgraphExecutor<TContext>,
  contextValue: TContext,
  query: string,
  variables?: Record<string, unknown>,
): Promise<OperationResult> {
  return (await server.executeOperation({ query, variables }, contextValue)) as OperationResult;
}

/** The `extensions.code` of every error, in order. */
export const errorCodes = (result: OperationResult): unknown[] => (result.errors ?? []).map((e) => e.extensions?.code);

/** A fresh request's scope: no stale marks yet, and a signal that never aborts. */
export const requestScope = (): RequestScope => ({ stale: new StaleMarks(), signal: new AbortController().signal });

/** The context of one subgraph request: its adapters, the verified caller (a trusted service unless given), no stale marks. */
export function asCaller<TBackends extends object>(backends: TBackends, viewer: Identity = trustedService): TBackends & { viewer: Identity } & RequestScope {
  return { ...backends, viewer, ...requestScope() };
}
