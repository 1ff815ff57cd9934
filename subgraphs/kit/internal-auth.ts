import type { IncomingMessage } from 'node:http';
import { GraphQLError } from 'graphql';
import type { JWTVerifyGetKey } from 'jose';
import type { Identity } from '../../platform/identity';
import { verifyInternalTokenClaims } from '../../platform/internal-token';
import type { VerifiedTokens } from '../../platform/verified-tokens';

const unauthenticated = (reason: string) =>
  new GraphQLError(`Unauthenticated: ${reason}`, {
    extensions: { code: 'UNAUTHENTICATED', http: { status: 401, headers: new Map([['www-authenticate', 'Bearer']]) } },
  });

/**
 * The caller of a subgraph request, from the gateway-signed token in `authorization`. Every request needs one,
 * `_service` and `_entities` included, so a client that bypasses the gateway gets nothing. A token's signature is
 * checked once; `verified` remembers the identity until the token expires.
 */
export async function viewerOf(req: IncomingMessage, gatewayKeys: JWTVerifyGetKey, verified: VerifiedTokens<Identity>): Promise<Identity> {
  const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
  if (!token) throw unauthenticated('the gateway token is missing');
  try {
    return await verified.get(token, (fresh) => verifyInternalTokenClaims(fresh, gatewayKeys));
  } catch {
    throw unauthenticated('the gateway token is not valid');
  }
}
