import { SignJWT, jwtVerify, type CryptoKey, type JWTVerifyGetKey } from 'jose';
import { effectiveScopes, isRole, type Identity } from './identity';

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

/** Verifies an internal token against the gateway's keys and returns the identity it carries; throws when invalid. */
export async function verifyInternalToken(token: string, keys: JWTVerifyGetKey): Promise<Identity> {
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
  return { subject: payload.sub as string, clientId, role, scopes: effectiveScopes(role, scope.split(' ')), via };
}
