import { newApiKey, readKeyFile, writeKeyFile } from '../gateway/auth/api-keys';
import { isScope, SCOPES, type Scope } from '../platform/identity';
import { parseCommandArgs, runCommand, UsageError, type CommandResult } from './cli';

export const APIKEY_USAGE = `usage:
  npm run apikey -- create --client <id> --scopes "<scope> ..." [--rate <per second>] [--burst <n>] [--quota <per day, 0 = none>]
  npm run apikey -- list
  npm run apikey -- revoke <key id>
  The key file is API_KEYS_FILE (default .atrium/api-keys.json); the gateway picks up changes within a second.
  scopes: ${SCOPES.join(' ')}`;

function wholeNumber(value: string, name: string, min: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min) throw new UsageError(`--${name} must be a whole number of at least ${min}`);
  return Number(value);
}

/** `npm run apikey`: creates, lists and revokes the API keys in `file`. A new key is printed once and stored hashed. */
export function apiKeyCommand(args: string[], file: string): Promise<CommandResult> {
  return runCommand('apikey', APIKEY_USAGE, () => {
    const parsed = parseCommandArgs(args, {
      client: { type: 'string' },
      scopes: { type: 'string' },
      rate: { type: 'string', default: '10' },
      burst: { type: 'string', default: '20' },
      quota: { type: 'string', default: '0' },
    });
    const { values, positionals } = parsed;
    const [command, ...rest] = positionals;
    const keys = readKeyFile(file);

    if (command === 'create') {
      if (!values.client || !/^[A-Za-z0-9._-]{1,64}$/.test(values.client))
        throw new UsageError('--client must be 1 to 64 letters, digits, dots, dashes or underscores');
      const scopes = (values.scopes ?? '').split(' ').filter(Boolean);
      if (scopes.length === 0) throw new UsageError('--scopes is required');
      const unknown = scopes.filter((scope) => !isScope(scope));
      if (unknown.length > 0) throw new UsageError(`unknown scope(s): ${unknown.join(', ')}`);
      const plan = {
        ratePerSecond: wholeNumber(values.rate, 'rate', 1),
        burst: wholeNumber(values.burst, 'burst', 1),
        dailyQuota: wholeNumber(values.quota, 'quota', 0),
      };
      if (plan.burst < plan.ratePerSecond) throw new UsageError('--burst must be at least --rate');
      const { key, record } = newApiKey(values.client, scopes as Scope[], plan);
      writeKeyFile(file, [...keys, record]);
      return { stdout: `${key}\n`, stderr: `created key ${record.id} for ${record.clientId}; it is shown once, store it now:\n` };
    }
    if (command === 'list') {
      const lines = keys.map((key) => {
        const state = key.revokedAt ? `revoked ${key.revokedAt}` : 'active';
        return `${key.id}  ${key.clientId}  ${state}  rate ${key.plan.ratePerSecond}/s burst ${key.plan.burst} quota ${key.plan.dailyQuota || 'none'}/day  ${key.scopes.join(' ')}\n`;
      });
      return { stdout: lines.join(''), stderr: '' };
    }
    if (command === 'revoke') {
      const key = keys.find((candidate) => candidate.id === rest[0]);
      if (!key) throw new UsageError(`no key with id ${rest[0] ?? '(missing)'}`);
      if (!key.revokedAt)
        writeKeyFile(
          file,
          keys.map((candidate) => (candidate === key ? { ...candidate, revokedAt: new Date().toISOString() } : candidate)),
        );
      return { stdout: `revoked ${key.id} (${key.clientId})\n`, stderr: '' };
    }
    throw new UsageError(command ? `unknown command ${command}` : 'a command is required');
  });
}
