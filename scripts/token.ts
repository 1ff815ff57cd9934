import { parseArgs } from 'node:util';
import { isProduction } from '../platform/env';
import { ROLES, SCOPES, isRole, isScope } from '../platform/identity';

const USAGE = `usage: npm run --silent token -- --sub <id> --role <${ROLES.join('|')}> [--scopes "<scope> ..."] [--ttl <seconds>]
  Prints an access token from the embedded identity provider (started by npm start) and nothing else.
  scopes: ${SCOPES.join(' ')}`;

function fail(message: string): never {
  process.stderr.write(`token: ${message}\n${USAGE}\n`);
  process.exit(2);
}

/** `npm run token`: a bearer token for the development identity provider, via its client-credentials grant. */
async function main(): Promise<void> {
  if (isProduction()) fail('the development identity provider does not run in production; get tokens from your issuer');
  let values;
  try {
    ({ values } = parseArgs({
      options: { sub: { type: 'string' }, role: { type: 'string' }, scopes: { type: 'string', default: '' }, ttl: { type: 'string', default: '3600' } },
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  const { sub, role, scopes, ttl } = values;
  if (!sub) fail('--sub is required (a customer id such as cust-1 for role customer)');
  if (!role || !isRole(role)) fail(`--role must be one of ${ROLES.join(', ')}`);
  const unknown = scopes.split(' ').filter((scope) => scope && !isScope(scope));
  if (unknown.length > 0) fail(`unknown scope(s): ${unknown.join(', ')}`);
  if (!/^\d+$/.test(ttl) || Number(ttl) < 1 || Number(ttl) > 86_400) fail('--ttl must be a number of seconds from 1 to 86400');

  const issuer = process.env.OAUTH_ISSUER ?? `http://127.0.0.1:${process.env.IDP_PORT ?? 4100}`;
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: 'atrium-cli', scope: scopes, sub, role, ttl });
  let response: Response;
  try {
    response = await fetch(`${issuer}/token`, { method: 'POST', body: form });
  } catch {
    fail(`no identity provider answers at ${issuer}: start the stack with npm start first`);
  }
  if (!response.ok) fail(`the identity provider answered HTTP ${response.status}`);
  const { access_token: token } = (await response.json()) as { access_token?: string };
  if (!token) fail('the identity provider returned no access_token');
  process.stdout.write(`${token}\n`);
}

void main();
