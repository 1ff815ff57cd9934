import type { ApolloServerPlugin } from '@apollo/server';
import responseCachePlugin from '@apollo/server-plugin-response-cache';
import { KeyvAdapter } from '@apollo/utils.keyvadapter';
import type { Keyv } from 'keyv';
import { identityKey } from '../platform/identity';
import type { GatewayContext } from './context';

/** Who a cached answer belongs to: the caller and everything that decides what its field rules let through. */
const callerKey = ({ caller }: GatewayContext) => identityKey(caller.identity);

/**
 * Whole answers kept in `store` (keyv: process memory, or Redis shared by replicas) for as long as the subgraphs' cache
 * hints allow (the strictest hint of every subgraph the query reached). Every entry belongs to one caller: private
 * answers by definition, public ones too, since field rules make any answer depend on the caller's role and scopes.
 * Mutations, answers with errors and answers from last good values are never kept; after a mutation, its caller reads
 * fresh answers (other callers see the change when their entries expire). A store outage is a miss.
 */
export function responseCache(store: Keyv): ApolloServerPlugin<GatewayContext>[] {
  // A caller's entries are keyed by a generation their own mutations move on: after a change, they read it back.
  const generationOf = async (caller: string) => ((await store.get<number>(`generation:${caller}`)) ?? 0) as number;
  return [
    responseCachePlugin<GatewayContext>({
      cache: new KeyvAdapter(store, { disableBatchReads: true }),
      sessionId: async ({ contextValue }) => callerKey(contextValue),
      extraCacheKeyData: async ({ contextValue }) => {
        const caller = callerKey(contextValue);
        return { caller, generation: await generationOf(caller) };
      },
      // An event is news: the entity it names has just changed.
      shouldReadFromCache: async ({ contextValue }) => !contextValue.eventDelivery,
      shouldWriteToCache: async ({ contextValue }) => contextValue.staleBackends.size === 0 && !contextValue.eventDelivery,
    }),
    {
      async requestDidStart() {
        return {
          async willSendResponse({ operation, contextValue }) {
            if (operation?.operation === 'mutation') await store.set(`generation:${callerKey(contextValue)}`, Date.now(), 24 * 3600 * 1000);
          },
        };
      },
    },
  ];
}

/**
 * Says how an answer relates to caches: `x-cache: hit` (from the response cache), `miss` (cacheable, computed now) or
 * `uncacheable`; and that it varies with the credential, so no shared cache (a CDN) hands it to another caller.
 */
export const cacheStatusPlugin: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response, metrics, overallCachePolicy }) {
        const cacheable = response.body.kind === 'single' && !response.body.singleResult.errors && overallCachePolicy.policyIfCacheable();
        response.http.headers.set('x-cache', metrics.responseCacheHit ? 'hit' : cacheable ? 'miss' : 'uncacheable');
        response.http.headers.set('vary', 'origin, authorization, x-api-key');
      },
    };
  },
};
