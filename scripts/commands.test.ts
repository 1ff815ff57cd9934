import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { readKeyFile } from '../gateway/auth/api-keys';
import { startIdentityProvider, type IdentityProvider } from '../legacy/identity-provider/server';
import { apiKeyCommand } from './apikey-command';
import { tokenCommand } from './token-command';

describe('npm run apikey', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'atrium-apikey-'));
    file = join(dir, 'keys.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a key, printing it once on stdout and storing only its hash, then lists and revokes it', async () => {
    const created = await apiKeyCommand(
      ['create', '--client', 'acme', '--scopes', 'customers:read orders:read', '--rate', '50', '--burst', '100', '--quota', '100000'],
      file,
    );
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^atr_[a-z0-9]{8}_[A-Za-z0-9_-]{43}$/);
    expect(readFileSync(file, 'utf8')).not.toContain(key.slice(13));
    const [record] = readKeyFile(file);
    expect(record).toMatchObject({ clientId: 'acme', scopes: ['customers:read', 'orders:read'], plan: { ratePerSecond: 50, burst: 100, dailyQuota: 100000 } });

    const listed = await apiKeyCommand(['list'], file);
    expect(listed.stdout).toContain(`${record?.id}  acme  active  rate 50/s burst 100 quota 100000/day  customers:read orders:read`);
    expect(listed.stdout).not.toContain(key);

    expect((await apiKeyCommand(['revoke', record?.id as string], file)).stdout).toBe(`revoked ${record?.id} (acme)\n`);
    expect(readKeyFile(file)[0]?.revokedAt).toEqual(expect.any(String));
  });

  it.each<[string, string[], RegExp]>([
    ['an unknown scope', ['create', '--client', 'acme', '--scopes', 'admin'], /unknown scope\(s\): admin/],
    ['a burst below the rate', ['create', '--client', 'acme', '--scopes', 'customers:read', '--rate', '10', '--burst', '5'], /--burst must be at least --rate/],
    ['a client id with spaces', ['create', '--client', 'a b', '--scopes', 'customers:read'], /--client must be/],
    ['an unknown key id', ['revoke', 'nope'], /no key with id nope/],
    ['an unknown command', ['delete'], /unknown command delete/],
    ['an unknown option', ['list', '--force'], /Unknown option '--force'/],
  ])('refuses %s with exit code 2, the usage, and nothing written', async (_case, args, message) => {
    const result = await apiKeyCommand(args, file);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('usage:');
    expect(readKeyFile(file)).toEqual([]);
  });
});

describe('npm run token', () => {
  let provider: IdentityProvider;
  beforeAll(async () => {
    provider = await startIdentityProvider({ port: 0, host: '127.0.0.1', audience: 'atrium' });
  });
  afterAll(() => provider?.stop());

  it('prints a token for the identity asked, and nothing else', async () => {
    const result = await tokenCommand(
      ['--sub', 'cust-1', '--role', 'customer', '--scopes', 'customers:read orders:read', '--ttl', '600'],
      provider.issuer,
      false,
    );
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    const claims = decodeJwt(result.stdout.trim());
    expect(claims).toMatchObject({ iss: provider.issuer, aud: 'atrium', sub: 'cust-1', roles: ['customer'], scope: 'customers:read orders:read' });
    expect((claims.exp as number) - (claims.iat as number)).toBe(600);
  });

  it.each<[string, string[], RegExp]>([
    ['an unknown role', ['--sub', 'x', '--role', 'admin'], /--role must be one of customer, agent, service/],
    ['an unknown scope', ['--sub', 'x', '--role', 'agent', '--scopes', 'everything'], /unknown scope\(s\): everything/],
    ['no subject', ['--role', 'agent'], /--sub is required/],
    ['a ttl out of range', ['--sub', 'x', '--role', 'agent', '--ttl', '999999'], /--ttl must be/],
  ])('refuses %s with exit code 2', async (_case, args, message) => {
    const result = await tokenCommand(args, provider.issuer, false);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('says the stack is not running when no issuer answers, and refuses in production', async () => {
    expect((await tokenCommand(['--sub', 'x', '--role', 'agent'], 'http://127.0.0.1:9', false)).stderr).toMatch(
      /no identity provider answers.*npm start first/,
    );
    expect((await tokenCommand(['--sub', 'x', '--role', 'agent'], provider.issuer, true)).stderr).toMatch(/does not run in production/);
  });
});
