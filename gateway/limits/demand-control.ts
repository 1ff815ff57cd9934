import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, type FragmentDefinitionNode } from 'graphql';
import type { Identity } from '../../platform/identity';
import type { GatewayContext } from '../context';
import { clientLabel, gatewayMetrics } from '../metrics';
import { operationCost } from './operation-cost';
import type { ClientRateLimiter, RateLimitOutcome } from './rate-limit';

/** One rate-limit point buys this much operation cost: a single profile costs 1 point, a page of 50 customers more. */
export const COST_PER_POINT = 100;

/** Whose allowance a request spends: an API key's client, or the OAuth subject within its client. */
export const rateLimitKey = (identity: Identity) =>
  identity.via === 'api-key' ? `key:${identity.clientId}` : `oauth:${identity.clientId}:${identity.subject}`;

/** The IETF draft `RateLimit-*` headers, as the popular gateways send them. */
function rateLimitHeaders(outcome: RateLimitOutcome): Array<[string, string]> {
  return [
    ['ratelimit-limit', String(outcome.limit)],
    ['ratelimit-remaining', String(outcome.remaining)],
    ['ratelimit-reset', String(outcome.resetSeconds)],
  ];
}

/**
 * Charges every operation to its caller's usage plan by cost, once it is parsed and validated (so junk costs the
 * caller nothing but is refused anyway). Over the limit: HTTP 429 with `Retry-After`, before any subgraph is called.
 */
export function rateLimitPlugin(limiter: ClientRateLimiter): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      let outcome: RateLimitOutcome | undefined;
      return {
        async didResolveOperation({ contextValue, operation, document, request, schema }) {
          if (!operation) return;
          const fragments = Object.fromEntries(
            document.definitions
              .filter((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION)
              .map((f) => [f.name.value, f]),
          );
          const points = Math.ceil(operationCost(schema, operation, fragments, request.variables) / COST_PER_POINT);
          const { identity, plan } = contextValue.caller;
          outcome = await limiter.charge(rateLimitKey(identity), plan, points);
          if (!outcome.allowed) {
            gatewayMetrics.rateLimitRejections.inc({ client: clientLabel(identity.clientId) });
            const message = outcome.quotaExceeded ? 'Daily quota exceeded' : 'Rate limit exceeded';
            throw new GraphQLError(`${message}: retry after ${outcome.resetSeconds} s`, {
              extensions: {
                code: 'RATE_LIMITED',
                http: { status: 429, headers: new Map([...rateLimitHeaders(outcome), ['retry-after', String(outcome.resetSeconds)]]) },
              },
            });
          }
        },
        async willSendResponse({ response }) {
          if (outcome?.allowed) for (const [name, value] of rateLimitHeaders(outcome)) response.http.headers.set(name, value);
        },
      };
    },
  };
}
