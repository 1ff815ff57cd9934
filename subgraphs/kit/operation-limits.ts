import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { costLimitExceeded, requestCost, SUBGRAPH_LIMITS } from '../../platform/operation-cost';

/**
 * What a subgraph refuses on its own, whoever sends it: an operation deeper than `SUBGRAPH_LIMITS.maxDepth` (graphql-armor,
 * while validating) or costing more than `SUBGRAPH_LIMITS.maxCost` on its coerced variables, with the `@listSize` sizes of
 * its own schema and one entity per `_entities` representation. The gateway's limits are lower, so every fetch of a
 * query plan it admits passes; a request that reached the subgraph some other way cannot explode it.
 */
export function subgraphOperationLimits<TContext extends BaseContext>() {
  const { validationRules } = new ApolloArmor({
    maxDepth: { n: SUBGRAPH_LIMITS.maxDepth, exposeLimits: false, flattenFragments: true },
    // The gateway applies these to clients; a query plan's fetches are its own and need no such guard.
    maxAliases: { enabled: false },
    maxTokens: { enabled: false },
    maxDirectives: { enabled: false },
    costLimit: { enabled: false },
    blockFieldSuggestion: { enabled: false },
  }).protect();
  const costLimit: ApolloServerPlugin<TContext> = {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request }) {
          if (operation && requestCost(schema, document, operation, request.variables) > SUBGRAPH_LIMITS.maxCost) {
            throw costLimitExceeded('Operation too expensive for this subgraph');
          }
        },
      };
    },
  };
  return { validationRules, plugins: [costLimit] };
}
