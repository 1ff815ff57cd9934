import type { IncomingHttpHeaders } from 'node:http';
import { GraphQLError } from 'graphql';
import { decodeJwt } from 'jose';
import type { Identity } from '../../platform/identity';
import type { ApiKeyVerifier, UsagePlan } from './api-keys';
import { gatewayMetrics } from '../metrics';
import { InvalidCredentialError, type OAuthVerifier } from './oauth';

/** A caller the gateway has verified, with the usage plan its rate limit is sized from. */
export interface Caller {
  identity: Identity;
  plan: UsagePlan;
  /** When the credential expires (epoch ms): a token's `exp`; API keys have none. Subscriptions end then. */
  expiresAt?: number;
}

const MISSING = 'credentials are missing';

/** HTTP 401 with `WWW-Authenticate`, as a GraphQL error Apollo Server turns into the response status and header. */
export function unauthenticated(description: string): GraphQLError {
  const challenge = description === MISSING ? 'Bearer' : `Bearer error="invalid_token", error_description="${description}"`;
  return new GraphQLError(`Unauthenticated: ${description}`, {
    extensions: { code: 'UNAUTHENTICATED', http: { status: 401, headers: new Map([['www-authenticate', challenge]]) } },
  });
}

/**
 * Establishes who is calling from the `authorization: Bearer <JWT>` or `x-api-key` header. Exactly one must be
 * present and valid; anything else throws UNAUTHENTICATED (HTTP 401) before any subgraph is called.
 */
export class Authenticator {
  constructor(
    private readonly options: {
      /** Undefined when no issuer is configured: then bearer tokens are refused. */
      oauth?: OAuthVerifier;
      apiKeys: ApiKeyVerifier;
      /** The plan for OAuth callers, who carry none of their own. */
      defaultPlan: UsagePlan;
    },
  ) {}

  async authenticate(headers: IncomingHttpHeaders): Promise<Caller> {
    try {
      return await this.verify(headers);
    } catch (error) {
      if (!(error instanceof InvalidCredentialError)) throw error;
      gatewayMetrics.authenticationFailures.inc({ reason: error.kind });
      throw unauthenticated(error.reason);
    }
  }

  private async verify(headers: IncomingHttpHeaders): Promise<Caller> {
    const authorization = headers.authorization;
    const apiKey = headers['x-api-key'];
    if (authorization !== undefined && apiKey !== undefined) throw new InvalidCredentialError('send either a bearer token or an API key, not both', 'both');
    if (typeof apiKey === 'string') return this.options.apiKeys.verify(apiKey);
    if (authorization === undefined) throw new InvalidCredentialError(MISSING, 'missing');
    const token = /^Bearer ([A-Za-z0-9._~+/=-]+)$/i.exec(authorization)?.[1];
    if (!token) throw new InvalidCredentialError('authorization header is not "Bearer <token>"', 'header');
    if (!this.options.oauth) throw new InvalidCredentialError('bearer tokens are not accepted: no issuer is configured', 'no_issuer');
    const identity = await this.options.oauth.verify(token);
    // Verified just now, so its claims can be read as they are.
    const { exp } = decodeJwt(token);
    return { identity, plan: this.options.defaultPlan, expiresAt: exp === undefined ? undefined : exp * 1000 };
  }
}
