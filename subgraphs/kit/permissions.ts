import type { GraphQLSchema } from 'graphql';
import { GraphQLError } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import { allow, and, deny, rule, shield, type IRule, type IRules } from 'graphql-shield';
import { hasScope, mayActFor, type Identity, type Scope } from '../../platform/identity';

/** What every subgraph resolver can rely on: the caller, verified from the gateway's internal token. */
export interface ViewerContext {
  viewer: Identity;
}

export type { IRules };
type ShieldRule = IRule;

/** A denied field: null at its path with this error; the rest of the response is still served. */
export const forbidden = (reason: string) => new GraphQLError(`Forbidden: ${reason}`, { extensions: { code: 'FORBIDDEN' } });

const scopeRules = new Map<Scope, ShieldRule>();

/**
 * The caller's credential carries `scope` and their role allows it. Depends on the caller only, so cached per request;
 * one rule per scope, since shield requires a named rule to be a single instance.
 */
export function canUse(scope: Scope): ShieldRule {
  let scopeRule = scopeRules.get(scope);
  if (!scopeRule) {
    scopeRule = rule(`scope:${scope}`, { cache: 'contextual' })(
      (_parent, _args, { viewer }: ViewerContext) => hasScope(viewer, scope) || forbidden(`needs scope ${scope}`),
    );
    scopeRules.set(scope, scopeRule);
  }
  return scopeRule;
}

/**
 * The caller may act for the customer the record or argument belongs to (customers only for themselves). Depends on
 * the parent or arguments, so never cached: a cached answer for one customer must not be reused for another.
 */
export const actsFor = <TParent = unknown, TArgs = unknown>(customerIdOf: (parent: TParent, args: TArgs) => string | undefined): ShieldRule =>
  rule({ cache: 'no_cache' })((parent, args, { viewer }: ViewerContext) => {
    const customerId = customerIdOf(parent as TParent, args as TArgs);
    return (customerId !== undefined && mayActFor(viewer, customerId)) || forbidden('this customer is not yours');
  });

/**
 * The record when the caller may act for the customer it belongs to, else null: someone else's record answers exactly
 * like one that does not exist (same data, no error), so a customer cannot probe ids for existence.
 */
export function visibleTo<TRecord>(viewer: Identity, record: TRecord | null, customerIdOf: (record: TRecord) => string): TRecord | null {
  return record !== null && mayActFor(viewer, customerIdOf(record)) ? record : null;
}

/** Only staff and services: a customer never lists other customers. */
export const notACustomer: ShieldRule = rule('not-a-customer', { cache: 'contextual' })(
  (_parent, _args, { viewer }: ViewerContext) => viewer.role !== 'customer' || forbidden('customers may only read their own records'),
);

export { allow, and };

/** Federation's own fields: the gateway needs them to plan and fetch; entity fields carry their own rules. */
const federationRules = { Query: { _service: allow, _entities: allow }, _Service: { sdl: allow } };

/**
 * Wraps a subgraph schema in graphql-shield: deny by default, federation fields allowed, real resolver errors passed
 * through (not turned into "Not Authorised!"), and a denied field answered with FORBIDDEN at its path.
 */
export function protectSchema(schema: GraphQLSchema, rules: IRules): GraphQLSchema {
  const merged = { ...rules, ...federationRules, Query: { ...(rules as Record<string, object>).Query, ...federationRules.Query } } as IRules;
  return applyMiddleware(
    schema,
    shield(merged, {
      fallbackRule: deny,
      allowExternalErrors: true,
      fallbackError: () => forbidden('not permitted'),
    }),
  );
}
