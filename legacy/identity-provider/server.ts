import type { IncomingMessage } from 'node:http';
import { OAuth2Server } from 'oauth2-mock-server';
import { isRole } from '../../platform/identity';

/** The embedded OAuth 2.0 authorization server: where to reach it and how to stop it. */
export interface IdentityProvider {
  /** The issuer (`iss`) of its tokens. */
  issuer: string;
  jwksUrl: string;
  tokenUrl: string;
  stop(): Promise<void>;
}

const MAX_TTL_SECONDS = 86_400;

/**
 * A local OAuth 2.0 authorization server for development, built on `oauth2-mock-server`: a JWKS endpoint and the
 * client-credentials grant, with RS256 keys made at start. Any client gets a token, for the `sub`, `role` and `ttl` it
 * asks for in the token request: that is what makes it a development tool, and why it never runs in production.
 */
export async function startIdentityProvider(options: { port: number; host: string; audience: string; issuer?: string }): Promise<IdentityProvider> {
  const server = new OAuth2Server();
  // Otherwise derived from the address it listens on, which a client may not use (0.0.0.0 in a container).
  if (options.issuer) server.issuer.url = options.issuer;
  await server.issuer.keys.generate('RS256');
  server.service.on('beforeTokenSigning', (token: { payload: Record<string, unknown> }, req: IncomingMessage & { body?: Record<string, unknown> }) => {
    const body = req.body ?? {};
    const text = (name: string) => (typeof body[name] === 'string' && body[name] !== '' ? (body[name] as string) : undefined);
    const clientId = text('client_id') ?? 'atrium-dev-client';
    const role = text('role');
    const ttl = Math.min(MAX_TTL_SECONDS, Math.max(1, Number(text('ttl') ?? 3600) || 3600));
    token.payload.aud = options.audience;
    token.payload.client_id = clientId;
    token.payload.sub = text('sub') ?? clientId;
    token.payload.roles = role && isRole(role) ? [role] : [];
    token.payload.exp = (token.payload.iat as number) + ttl;
  });
  await server.start(options.port, options.host);
  const issuer = server.issuer.url as string;
  return { issuer, jwksUrl: `${issuer}/jwks`, tokenUrl: `${issuer}/token`, stop: () => server.stop() };
}
