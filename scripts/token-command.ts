import { parseArgs } from 'node:util';
import { DevelopmentTokenError, requestDevelopmentToken } from '../platform/development-token';
import { isRole, isScope, ROLES, SCOPES } from '../platform/identity';
import { runCommand, UsageError, type CommandResult } from './cli';

export const TOKEN_USAGE = `usage: npm run --silent token -- --sub <id> --role <${ROLES.join('|')}> [--scopes "<scope> ..."] [--ttl <seconds>]
  Prints an access token from the embedded identity provider (started by npm start) and nothing else.
  scopes: ${SCOPES.join(' ')}`;

/** `npm run token`: a bearer token from the development identity provider at `issuer`, via its client-credentials grant. */
export function tokenCommand(args: string[], issuer: string, production: boolean): Promise<CommandResult> {
  return runCommand('token', TOKEN_USAGE, async () => {
    if (production) throw new UsageError('the development identity provider does not run in production; get tokens from your issuer');
    let values;
    try {
      ({ values } = parseArgs({
        args,
        options: { sub: { type: 'string' }, role: { type: 'string' }, scopes: { type: 'string', default: '' }, ttl: { type: 'string', default: '3600' } },
      }));
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const { sub, role, scopes, ttl } = values;
    if (!sub) throw new UsageError('--sub is required (a customer id such as cust-1 for role customer)');
    if (!role || !isRole(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
    const unknown = scopes.split(' ').filter((scope) => scope && !isScope(scope));
    if (unknown.length > 0) throw new UsageError(`unknown scope(s): ${unknown.join(', ')}`);
    if (!/^\d+$/.test(ttl) || Number(ttl) < 1 || Number(ttl) > 86_400) throw new UsageError('--ttl must be a number of seconds from 1 to 86400');

    let token: string;
    try {
      token = await requestDevelopmentToken(`${issuer}/token`, { clientId: 'atrium-cli', sub, role, scopes, ttlSeconds: Number(ttl) });
    } catch (error) {
      if (!(error instanceof DevelopmentTokenError)) throw error;
      throw new UsageError(`${error.message}${error.message.startsWith('no identity provider') ? ': start the stack with npm start first' : ''}`);
    }
    return { stdout: `${token}\n`, stderr: '' };
  });
}
