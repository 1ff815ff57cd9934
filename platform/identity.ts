/** The roles Atrium knows; a token with none of them gets nothing. */
export const ROLES = ['customer', 'agent', 'service'] as const;
export type Role = (typeof ROLES)[number];

/** Every scope a token or API key can carry. */
export const SCOPES = [
  'customers:read',
  'pii:read',
  'orders:read',
  'orders:write',
  'preferences:read',
  'preferences:write',
  'tickets:read',
  'tickets:write',
] as const;
export type Scope = (typeof SCOPES)[number];

/**
 * Which scopes a role may use at all: a token's effective scopes are what it carries AND what its role allows.
 * Agents help any customer but never buy or change settings for them; customers and services are bounded by
 * their scopes (customers additionally to their own records).
 */
const ROLE_SCOPES: Record<Role, ReadonlySet<Scope>> = {
  customer: new Set(SCOPES),
  agent: new Set<Scope>(['customers:read', 'pii:read', 'orders:read', 'preferences:read', 'tickets:read', 'tickets:write']),
  service: new Set(SCOPES),
};

/** A verified caller, as the gateway established it and every subgraph verifies it again. */
export interface Identity {
  /** The customer id for role `customer`; the user or client id otherwise. */
  subject: string;
  /** The OAuth client or API-key client the request came through. */
  clientId: string;
  role: Role;
  scopes: readonly Scope[];
  /** How the caller proved who they are at the gateway. */
  via: 'oauth' | 'api-key';
}

export const isScope = (value: string): value is Scope => (SCOPES as readonly string[]).includes(value);
export const isRole = (value: string): value is Role => (ROLES as readonly string[]).includes(value);

/** One string per distinct identity: everything that decides what the caller may see (scopes in a fixed order). */
export const identityKey = (identity: Identity): string =>
  JSON.stringify([identity.via, identity.clientId, identity.subject, identity.role, [...identity.scopes].sort()]);

/** The scopes a caller may actually use: carried by its credential and allowed for its role. */
export function effectiveScopes(role: Role, carried: Iterable<string>): Scope[] {
  const allowed = ROLE_SCOPES[role];
  return [...new Set(carried)].filter((scope): scope is Scope => isScope(scope) && allowed.has(scope));
}

/** Whether the caller may use `scope`. */
export const hasScope = (identity: Identity, scope: Scope): boolean => identity.scopes.includes(scope);

/** Whether the caller may touch this customer's records: customers only their own, agents and services any. */
export const mayActFor = (identity: Identity, customerId: string): boolean => identity.role !== 'customer' || identity.subject === customerId;
