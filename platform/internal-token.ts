import { LRUCache } from 'lru-cache';
import { SignJWT, jwtVerify, type CryptoKey, type JWTVerifyGetKey } from 'jose';
import { effectiveScopes, identityKey, isRole, type Identity } from './identity';

/** Who signs internal tokens: subgraphs accept nothing else. */
export const INTERNAL_TOKEN = {
  issuer: 'atrium-gateway',
  algorithm: 'ES256',
  /** Long enough for one federated request, short enough that a leaked token is soon worthless. */
  ttlSeconds: 60,
} as const;

/** The audience of internal tokens for one subgraph: a token captured on its way to one subgraph is refused by the others. */
export const internalAudience = (subgraph: string): string => `atrium-subgraph:${subgraph}`;

/** The gateway's signing key, as `loadSigningKey` reads it. */
export interface InternalSigningKey {
  privateKey: CryptoKey;
  kid: string;
}

/** Signs the caller's verified identity for one subgraph. */
export async function signInternalToken(identity: Identity, subgraph: string, key: InternalSigningKey): Promise<string> {
  return new SignJWT({ role: identity.role, scope: identity.scopes.join(' '), client_id: identity.clientId, via: identity.via })
    .setProtectedHeader({ alg: INTERNAL_TOKEN.algorithm, kid: key.kid, typ: 'JWT' })
    .setIssuer(INTERNAL_TOKEN.issuer)
    .setAudience(internalAudience(subgraph))
    .setSubject(identity.subject)
    .setIssuedAt()
    .setExpirationTime(`${INTERNAL_TOKEN.ttlSeconds}s`)
    .sign(key.privateKey);
}

/**
 * Internal tokens for the callers of this process, one per caller and subgraph, each signed once and handed out again
 * while it has at least half its life left: signing is the costliest step of a request, and a caller's many requests
 * carry the same identity.
 */
export class InternalTokenSigner {
  private readonly signed = new LRUCache<string, { token: string; expiresAt: number }>({ max: 10_000 });

  constructor(private readonly key: InternalSigningKey) {}

  async tokenFor(identity: Identity, subgraph: string): Promise<string> {
    const id = `${subgraph}\n${identityKey(identity)}`;
    const kept = this.signed.get(id);
    if (kept && kept.expiresAt - Date.now() > (INTERNAL_TOKEN.ttlSeconds * 1000) / 2) return kept.token;
    const token = await signInternalToken(identity, subgraph, this.key);
    this.signed.set(id, { token, expiresAt: Date.now() + INTERNAL_TOKEN.ttlSeconds * 1000 });
    return token;
  }
}

/** Verifies an internal token meant for `subgraph` and returns the identity it carries; throws when invalid. */
export async function verifyInternalToken(token: string, subgraph: string, keys: JWTVerifyGetKey): Promise<Identity> {
  return (await verifyInternalTokenClaims(token, subgraph, keys)).value;
}

/** The identity an internal token for `subgraph` carries and when it expires (epoch seconds); throws when invalid. */
export async function verifyInternalTokenClaims(token: string, subgraph: string, keys: JWTVerifyGetKey): Promise<{ value: Identity; expiresAt: number }> {
  const audience = internalAudience(subgraph);
  const { payload } = await jwtVerify(token, keys, {
    issuer: INTERNAL_TOKEN.issuer,
    audience,
    algorithms: [INTERNAL_TOKEN.algorithm],
    requiredClaims: ['sub', 'exp', 'iat'],
    clockTolerance: 5,
  });
  // jose accepts an audience list that includes ours; a token good at several subgraphs is what this refuses.
  if (payload.aud !== audience) throw new Error('internal token names more than this subgraph');
  const { role, scope, client_id: clientId, via } = payload;
  if (typeof role !== 'string' || !isRole(role) || typeof scope !== 'string' || typeof clientId !== 'string' || (via !== 'oauth' && via !== 'api-key')) {
    throw new Error('internal token lacks role, scope, client_id or via');
  }
  return { value: { subject: payload.sub as string, clientId, role, scopes: effectiveScopes(role, scope.split(' ')), via }, expiresAt: payload.exp as number };
}
