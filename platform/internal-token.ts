import { LRUCache } from 'lru-cache';
import { SignJWT, jwtVerify, type CryptoKey, type JWTVerifyGetKey } from 'jose';
import { effectiveScopes, identityKey, isRole, type Identity } from './identity';

/** Who signs internal tokens and for whom: subgraphs accept nothing else. */
export const INTERNAL_TOKEN = {
  issuer: 'atrium-gateway',
  audience: 'atrium-subgraphs',
  algorithm: 'ES256',
  /** Long enough for one federated request, short enough that a leaked token is soon worthless. */
  ttlSeconds: 60,
} as const;

/** Signs the caller's verified identity for the subgraphs of one request. */
export async function signInternalToken(identity: Identity, key: { privateKey: CryptoKey; kid: string }): Promise<string> {
  return new SignJWT({ role: identity.role, scope: identity.scopes.join(' '), client_id: identity.clientId, via: identity.via })
    .setProtectedHeader({ alg: INTERNAL_TOKEN.algorithm, kid: key.kid, typ: 'JWT' })
    .setIssuer(INTERNAL_TOKEN.issuer)
    .setAudience(INTERNAL_TOKEN.audience)
    .setSubject(identity.subject)
    .setIssuedAt()
    .setExpirationTime(`${INTERNAL_TOKEN.ttlSeconds}s`)
    .sign(key.privateKey);
}

/**
 * Internal tokens for the callers of this process, each signed once and handed out again while it has at least half its
 * life left: signing is the costliest step of a request, and a caller's many requests carry the same identity.
 */
export class InternalTokenSigner {
  private readonly signed = new LRUCache<string, { token: string; expiresAt: number }>({ max: 10_000 });

  constructor(private readonly key: { privateKey: CryptoKey; kid: string }) {}

  async tokenFor(identity: Identity): Promise<string> {
    const id = identityKey(identity);
    const kept = this.signed.get(id);
    if (kept && kept.expiresAt - Date.now() > (INTERNAL_TOKEN.ttlSeconds * 1000) / 2) return kept.token;
    const token = await signInternalToken(identity, this.key);
    this.signed.set(id, { token, expiresAt: Date.now() + INTERNAL_TOKEN.ttlSeconds * 1000 });
    return token;
  }
}

/** Verifies an internal token against the gateway's keys and returns the identity it carries; throws when invalid. */
export async function verifyInternalToken(token: string, keys: JWTVerifyGetKey): Promise<Identity> {
  return (await verifyInternalTokenClaims(token, keys)).value;
}

/** The identity an internal token carries and when the token expires (epoch seconds); throws when invalid. */
export async function verifyInternalTokenClaims(token: string, keys: JWTVerifyGetKey): Promise<{ value: Identity; expiresAt: number }> {
  const { payload } = await jwtVerify(token, keys, {
    issuer: INTERNAL_TOKEN.issuer,
    audience: INTERNAL_TOKEN.audience,
    algorithms: [INTERNAL_TOKEN.algorithm],
    requiredClaims: ['sub', 'exp', 'iat'],
    clockTolerance: 5,
  });
  const { role, scope, client_id: clientId, via } = payload;
  if (typeof role !== 'string' || !isRole(role) || typeof scope !== 'string' || typeof clientId !== 'string' || (via !== 'oauth' && via !== 'api-key')) {
    throw new Error('internal token lacks role, scope, client_id or via');
  }
  return { value: { subject: payload.sub as string, clientId, role, scopes: effectiveScopes(role, scope.split(' ')), via }, expiresAt: payload.exp as number };
}
