/** What a development token is asked to vouch for. */
export interface DevelopmentTokenRequest {
  sub?: string;
  role?: string;
  /** Space-separated. */
  scopes?: string;
  ttlSeconds?: number;
  clientId?: string;
}

/** The development identity provider could not be reached or gave no token. */
export class DevelopmentTokenError extends Error {}

/**
 * An access token from the development identity provider (`legacy/identity-provider`), through its client-credentials
 * grant: the provider signs the `sub`, `role` and `ttl` it is asked for, which is why it never runs in production.
 */
export async function requestDevelopmentToken(tokenUrl: string, request: DevelopmentTokenRequest): Promise<string> {
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: request.clientId ?? 'atrium-dev', scope: request.scopes ?? '' });
  for (const [name, value] of Object.entries({ sub: request.sub, role: request.role, ttl: request.ttlSeconds }))
    if (value !== undefined) form.set(name, String(value));
  let response: Response;
  try {
    response = await fetch(tokenUrl, { method: 'POST', body: form, signal: AbortSignal.timeout(5_000) });
  } catch {
    throw new DevelopmentTokenError(`no identity provider answers at ${tokenUrl}`);
  }
  if (!response.ok) throw new DevelopmentTokenError(`the identity provider answered HTTP ${response.status}`);
  const { access_token: token } = (await response.json().catch(() => ({}))) as { access_token?: unknown };
  if (typeof token !== 'string' || token === '') throw new DevelopmentTokenError('the identity provider returned no access_token');
  return token;
}
