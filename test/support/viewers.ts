import { SCOPES, effectiveScopes, type Identity, type Role } from '../../platform/identity';

/** A verified caller for in-process operation tests, as the subgraph would get it from the gateway's token. */
export function viewer(role: Role, subject = role === 'customer' ? 'cust-1' : `${role}-1`, scopes: readonly string[] = SCOPES): Identity {
  return { subject, clientId: `${role}-client`, role, scopes: effectiveScopes(role, scopes), via: 'oauth' };
}

/** A service client allowed everything: for tests about behaviour, not permissions. */
export const trustedService = viewer('service');
