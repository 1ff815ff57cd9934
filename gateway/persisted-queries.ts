import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ApolloServerPlugin } from '@apollo/server';
import type { KeyValueCache, KeyValueCacheSetOptions } from '@apollo/utils.keyvaluecache';
import { GraphQLError } from 'graphql';
import { z } from 'zod';
import { ConfigError } from '../platform/env';
import type { GatewayContext } from './context';

/** Apollo's persisted query manifest, as `generate-persisted-query-manifest` writes it for a client. */
const manifestSchema = z.object({
  format: z.literal('apollo-persisted-query-manifest'),
  version: z.literal(1),
  operations: z.array(z.object({ id: z.string().regex(/^[0-9a-f]{64}$/), body: z.string().min(1), name: z.string().optional(), type: z.string().optional() })),
});

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The trusted documents by id (the SHA-256 of the body, as automatic persisted queries name them). */
export function loadPersistedQueries(file: string): Map<string, string> {
  let parsed;
  try {
    parsed = manifestSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  } catch (error) {
    throw new ConfigError(`invalid configuration:\n  PERSISTED_QUERIES_FILE: ${(error as Error).message}`);
  }
  if (!parsed.success)
    throw new ConfigError(`invalid configuration:\n  PERSISTED_QUERIES_FILE: not a persisted query manifest (${parsed.error.issues[0]?.message})`);
  const operations = new Map<string, string>();
  for (const { id, body, name } of parsed.data.operations) {
    if (sha256(body) !== id) throw new ConfigError(`invalid configuration:\n  PERSISTED_QUERIES_FILE: the id of ${name ?? id} is not the SHA-256 of its body`);
    operations.set(id, body);
  }
  return operations;
}

/**
 * Where automatic persisted queries are looked up: the trusted documents first, then what clients registered (in
 * `registered`: process memory, or Redis shared by every replica). With `trustedOnly`, nothing is registered.
 */
export class PersistedQueryStore implements KeyValueCache<string> {
  constructor(
    private readonly trusted: Map<string, string>,
    private readonly registered: KeyValueCache<string>,
    private readonly trustedOnly: boolean,
  ) {}

  async get(key: string): Promise<string | undefined> {
    return this.trusted.get(key.replace(/^apq:/, '')) ?? (this.trustedOnly ? undefined : this.registered.get(key));
  }

  async set(key: string, value: string, options?: KeyValueCacheSetOptions): Promise<void> {
    if (!this.trustedOnly) await this.registered.set(key, value, options);
  }

  async delete(key: string): Promise<boolean | void> {
    return this.trustedOnly ? undefined : this.registered.delete(key);
  }
}

/**
 * Trusted documents only (`PERSISTED_ONLY=on`): an operation whose text is not in the manifest is refused before it
 * reaches a subgraph, however it was sent (by id, or as text with or without an id).
 */
export function trustedDocumentsPlugin(trusted: Map<string, string>): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ queryHash, contextValue }) {
          // A subscriber's event is read with a query the gateway built from their subscription, which was checked.
          if (trusted.has(queryHash) || contextValue.eventDelivery) return;
          throw new GraphQLError('this operation is not in the persisted query list; only trusted documents are served', {
            extensions: { code: 'PERSISTED_QUERY_NOT_IN_LIST', http: { status: 400, headers: new Map() } },
          });
        },
      };
    },
  };
}
