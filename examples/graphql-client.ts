import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type GraphQLFormattedError } from 'graphql';

/** The gateway answered with errors (or not with GraphQL at all); `errors` carries each one's message and code. */
export class GraphQLRequestError extends Error {
  constructor(
    readonly status: number,
    readonly errors: readonly GraphQLFormattedError[],
  ) {
    super(errors.map((error) => `${error.message} (${String(error.extensions?.code ?? 'no code')})`).join('; ') || `HTTP ${status}`);
  }
}

/**
 * Sends one operation to Atrium and returns its data, typed by the document: a generated `TypedDocumentNode` fixes both
 * the variables it takes and the shape of what comes back, so a schema change that breaks this client fails to compile.
 */
export async function execute<TResult, TVariables extends Record<string, unknown>>(
  endpoint: string,
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables,
  headers: Record<string, string>,
): Promise<TResult> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await response.json().catch(() => ({}))) as { data?: TResult | null; errors?: GraphQLFormattedError[] };
  if (body.errors?.length || body.data == null) throw new GraphQLRequestError(response.status, body.errors ?? []);
  return body.data;
}
