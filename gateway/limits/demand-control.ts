import type { ApolloServerPlugin } from '@apollo/server';
import { buildSchema, GraphQLError, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { PublicErrorCode } from '../../platform/errors';
import type { Identity } from '../../platform/identity';
import { costLimitExceeded, requestCost } from '../../platform/operation-cost';
import type { GatewayContext } from '../context';
import { clientLabel, gatewayMetrics } from '../metrics';
import type { ClientRateLimiter, RateLimitOutcome } from './rate-limit';

/** One rate-limit point buys this much operation cost: a profile costs 1 point, 100 customers with 10 orders each 12. */
const COST_PER_POINT = 100;

/** Whose allowance a request spends: an API key's client, or the OAuth subject within its client. */
const rateLimitKey = (identity: Identity) => (identity.via === 'api-key' ? `key:${identity.clientId}` : `oauth:${identity.clientId}:${identity.subject}`);

/** Rate-limit points an operation of this cost is charged: at least 1, so even free operations are counted. */
const pointsFor = (cost: number) => Math.max(1, Math.ceil(cost / COST_PER_POINT));

/** The IETF draft `RateLimit-*` headers, as the popular gateways send them. */
function rateLimitHeaders(outcome: RateLimitOutcome): Array<[string, string]> {
  return [
    ['ratelimit-limit', String(outcome.limit)],
    ['ratelimit-remaining', String(outcome.remaining)],
    ['ratelimit-reset', String(outcome.resetSeconds)],
  ];
}

/**
 * Demand control: every operation is priced once it is parsed and validated, before any subgraph is called, on its
 * coerced variables and with the `@cost`/`@listSize` weights and sizes composition carried into the supergraph the
 * gateway serves. Over `maxCost`, or over all the caller's plan can ever spend at once (its burst), it is refused with
 * HTTP 400 `COST_LIMIT_EXCEEDED`: waiting would not help, so no `Retry-After`. Otherwise its cost is charged to the
 * caller's plan, and over the rate: HTTP 429 with `Retry-After`.
 */
export class DemandControl {
  private supergraph?: GraphQLSchema;

  constructor(
    private readonly options: {
      limiter: ClientRateLimiter;
      maxCost: number;
      /** In production, refusals never tell the limit or the cost (they would help an attacker aim just below it). */
      production: boolean;
    },
  ) {}

  /** Prices operations on this supergraph from now on (call it on every load or update). */
  useSupergraph(supergraphSdl: string): void {
    // The supergraph has the API schema's types and argument defaults, and the demand-control directives it drops.
    this.supergraph = buildSchema(supergraphSdl, { assumeValidSDL: true });
  }

  /** An operation's cost; over `maxCost` it is refused (throws COST_LIMIT_EXCEEDED). */
  checkCost(document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>, schema?: GraphQLSchema): number {
    const supergraph = this.supergraph ?? schema;
    if (!supergraph) throw new Error('demand control has no supergraph to price operations on');
    const cost = requestCost(supergraph, document, operation, variables);
    if (cost > this.options.maxCost)
      throw costLimitExceeded(`Operation too expensive: ask for fewer items or fewer levels${this.tell(`cost ${cost}, limit ${this.options.maxCost}`)}`);
    return cost;
  }

  private tell(detail: string): string {
    return this.options.production ? '' : ` (${detail})`;
  }

  plugin(): ApolloServerPlugin<GatewayContext> {
    const { limiter } = this.options;
    const tell = (detail: string) => this.tell(detail);
    return {
      requestDidStart: async () => {
        let outcome: RateLimitOutcome | undefined;
        return {
          didResolveOperation: async ({ contextValue, operation, document, request, schema }) => {
            if (!operation || contextValue.eventDelivery) return;
            const cost = this.checkCost(document, operation, request.variables ?? {}, schema);
            const { identity, plan } = contextValue.caller;
            const points = pointsFor(cost);
            if (points > plan.burst) {
              throw costLimitExceeded(
                `Operation too expensive for this client's plan: it can never pass, however long the client waits; ask for fewer items${tell(`${points} points, burst ${plan.burst}`)}`,
              );
            }
            outcome = await limiter.charge(rateLimitKey(identity), plan, points);
            if (!outcome.allowed) {
              gatewayMetrics.rateLimitRejections.inc({ client: clientLabel(identity.clientId) });
              const message = outcome.quotaExceeded ? 'Daily quota exceeded' : 'Rate limit exceeded';
              throw new GraphQLError(`${message}: retry after ${outcome.resetSeconds} s`, {
                extensions: {
                  code: 'RATE_LIMITED' satisfies PublicErrorCode,
                  http: { status: 429, headers: new Map([...rateLimitHeaders(outcome), ['retry-after', String(outcome.resetSeconds)]]) },
                },
              });
            }
          },
          willSendResponse: async ({ response }) => {
            if (outcome?.allowed) for (const [name, value] of rateLimitHeaders(outcome)) response.http.headers.set(name, value);
          },
        };
      },
    };
  }
}
