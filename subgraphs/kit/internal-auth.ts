import type { IncomingMessage } from 'node:http';
import { GraphQLError } from 'graphql';
import type { JWTVerifyGetKey } from 'jose';
import type { Identity } from '../../platform/identity';
import { verifyInternalTokenClaims } from '../../platform/internal-token';
import { VerifiedTokens } from '../../platform/verified-tokens';

const unauthenticated = (reason: string) =>
  new GraphQLError(`Unauthenticated: ${reason}`, {
    extensions: { code: 'UNAUTHENTICATED', http: { status: 401, headers: new Map([['www-authenticate', 'Bearer']]) } },
  });

/**
 * How `subgraph` learns the caller of a request: from the token in `authorization`, signed by one of `gatewayKeys` for
 * this subgraph and no other. Every request needs one, `_service` and `_entities` included, so a client that bypasses
 * the gateway gets nothing, and a token captured on its way to another subgraph is refused here.
 */
export function gatewayViewer(subgraph: string, gatewayKeys: JWTVerifyGetKey): (req: IncomingMessage) => Promise<Identity> {
  // The gateway hands out each caller's token for half a minute: its signature is checked once, not per request.
  // The cache only ever holds tokens verified for this subgraph's audience.
  const verified = new VerifiedTokens<Identity>((token) => verifyInternalTokenClaims(token, subgraph, gatewayKeys));
  return async (req) => {
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token) throw unauthenticated('the gateway token is missing');
    try {
      return await verified.get(token);
    } catch {
      throw unauthenticated('the gateway token is not valid');
    }
  };
}
