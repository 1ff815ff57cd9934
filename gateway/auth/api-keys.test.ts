import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../platform/log';
import { ApiKeyVerifier, newApiKey, readKeyFile, writeKeyFile } from './api-keys';
import { InvalidCredentialError } from './oauth';

const plan = { ratePerSecond: 5, burst: 10, dailyQuota: 1000 };

describe('API keys', () => {
  let dir: string;
  let file: string;
  let verifier: ApiKeyVerifier | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'atrium-keys-'));
    file = join(dir, 'keys.json');
  });
  afterEach(() => {
    verifier?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const answerTo = (presented: string) => {
    try {
      return verifier?.verify(presented);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidCredentialError);
      return (error as InvalidCredentialError).reason;
    }
  };

  it('stores only a hash, readable by its owner only, and accepts the key it printed', () => {
    const { key, record } = newApiKey('acme', ['customers:read'], plan);
    writeKeyFile(file, [record]);
    const stored = readFileSync(file, 'utf8');
    expect(stored).not.toContain(key);
    expect(stored).not.toContain(key.slice('atr_12345678_'.length));
    expect(readKeyFile(file)[0]?.sha256).toMatch(/^[0-9a-f]{64}$/);
    verifier = new ApiKeyVerifier(file, silentLogger);
    expect(verifier.verify(key)).toEqual({
      identity: { subject: 'acme', clientId: 'acme', role: 'service', scopes: ['customers:read'], via: 'api-key' },
      plan,
    });
  });

  it('gives unknown, revoked and malformed keys the same answer', () => {
    const active = newApiKey('acme', ['customers:read'], plan);
    const revoked = newApiKey('globex', ['customers:read'], plan);
    writeKeyFile(file, [active.record, { ...revoked.record, revokedAt: new Date().toISOString() }]);
    verifier = new ApiKeyVerifier(file, silentLogger);
    const unknown = newApiKey('initech', ['customers:read'], plan).key;
    const wrongSecret = `${active.key.slice(0, -4)}AAAA`;
    const answers = [revoked.key, unknown, wrongSecret, 'atr_short', '', 'x'.repeat(500)].map(answerTo);
    expect(new Set(answers)).toEqual(new Set(['API key is not valid']));
  });

  it('takes a revocation without a restart', async () => {
    const { key, record } = newApiKey('acme', ['customers:read'], plan);
    writeKeyFile(file, [record]);
    verifier = new ApiKeyVerifier(file, silentLogger);
    expect(answerTo(key)).toMatchObject({ plan });
    writeKeyFile(file, [{ ...record, revokedAt: new Date().toISOString() }]);
    for (let waited = 0; waited < 5_000 && typeof answerTo(key) !== 'string'; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(answerTo(key)).toBe('API key is not valid');
  });

  it('refuses to start on a malformed key file, naming it', () => {
    writeFileSync(file, JSON.stringify({ keys: [{ id: 'nope' }] }));
    expect(() => new ApiKeyVerifier(file, silentLogger)).toThrow(/keys\.json is not a valid API key file/);
  });

  it('treats a missing key file as no keys', () => {
    verifier = new ApiKeyVerifier(join(dir, 'absent.json'), silentLogger);
    expect(answerTo(newApiKey('acme', ['customers:read'], plan).key)).toBe('API key is not valid');
  });
});
