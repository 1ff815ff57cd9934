import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { newApiKey, readKeyFile, writeKeyFile } from '../gateway/auth/api-keys';
import { isScope, SCOPES, type Scope } from '../platform/identity';
import { repoRoot } from '../platform/paths';

const USAGE = `usage:
  npm run apikey -- create --client <id> --scopes "<scope> ..." [--rate <per second>] [--burst <n>] [--quota <per day, 0 = none>]
  npm run apikey -- list
  npm run apikey -- revoke <key id>
  The key file is API_KEYS_FILE (default .atrium/api-keys.json); the gateway picks up changes within a second.
  scopes: ${SCOPES.join(' ')}`;

function fail(message: string): never {
  process.stderr.write(`apikey: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function wholeNumber(value: string, name: string, min: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min) fail(`--${name} must be a whole number of at least ${min}`);
  return Number(value);
}

/** `npm run apikey`: creates, lists and revokes the gateway's API keys. A new key is printed once and stored hashed. */
function main(): void {
  const file = process.env.API_KEYS_FILE ?? join(repoRoot, '.atrium', 'api-keys.json');
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        client: { type: 'string' },
        scopes: { type: 'string' },
        rate: { type: 'string', default: '10' },
        burst: { type: 'string', default: '20' },
        quota: { type: 'string', default: '0' },
      },
    });
  } catch (error) {
    fail((error as Error).message);
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  const keys = readKeyFile(file);

  if (command === 'create') {
    if (!values.client || !/^[A-Za-z0-9._-]{1,64}$/.test(values.client)) fail('--client must be 1 to 64 letters, digits, dots, dashes or underscores');
    const scopes = (values.scopes ?? '').split(' ').filter(Boolean);
    if (scopes.length === 0) fail('--scopes is required');
    const unknown = scopes.filter((scope) => !isScope(scope));
    if (unknown.length > 0) fail(`unknown scope(s): ${unknown.join(', ')}`);
    const plan = {
      ratePerSecond: wholeNumber(values.rate, 'rate', 1),
      burst: wholeNumber(values.burst, 'burst', 1),
      dailyQuota: wholeNumber(values.quota, 'quota', 0),
    };
    if (plan.burst < plan.ratePerSecond) fail('--burst must be at least --rate');
    const { key, record } = newApiKey(values.client, scopes as Scope[], plan);
    writeKeyFile(file, [...keys, record]);
    process.stderr.write(`created key ${record.id} for ${record.clientId}; it is shown once, store it now:\n`);
    process.stdout.write(`${key}\n`);
  } else if (command === 'list') {
    for (const key of keys) {
      const state = key.revokedAt ? `revoked ${key.revokedAt}` : 'active';
      process.stdout.write(
        `${key.id}  ${key.clientId}  ${state}  rate ${key.plan.ratePerSecond}/s burst ${key.plan.burst} quota ${key.plan.dailyQuota || 'none'}/day  ${key.scopes.join(' ')}\n`,
      );
    }
  } else if (command === 'revoke') {
    const id = rest[0];
    const key = keys.find((candidate) => candidate.id === id);
    if (!key) fail(`no key with id ${id ?? '(missing)'}`);
    if (!key.revokedAt)
      writeKeyFile(
        file,
        keys.map((candidate) => (candidate === key ? { ...candidate, revokedAt: new Date().toISOString() } : candidate)),
      );
    process.stdout.write(`revoked ${key.id} (${key.clientId})\n`);
  } else {
    fail(command ? `unknown command ${command}` : 'a command is required');
  }
}

main();
