import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './env';
import { legacyStateDir, readDataDir, recordsDir, wipeStoredState } from './data-dir';
import { repoRoot } from './paths';

describe('the data folder', () => {
  it('is .atrium in the repository unless ATRIUM_DATA_DIR names another, and never empty', () => {
    expect(readDataDir({})).toBe(join(repoRoot, '.atrium'));
    expect(readDataDir({ ATRIUM_DATA_DIR: '/var/lib/atrium' })).toBe('/var/lib/atrium');
    expect(() => readDataDir({ ATRIUM_DATA_DIR: '' })).toThrow(ConfigError);
  });

  it('forgets the records and the stand-ins’ changes on --fresh, and keeps keys and certificates', () => {
    const dir = mkdtempSync(join(tmpdir(), 'atrium-data-'));
    try {
      mkdirSync(recordsDir(dir), { recursive: true });
      writeFileSync(join(recordsDir(dir), 'orders-idempotency.sqlite'), '');
      mkdirSync(legacyStateDir(dir, 'erp'), { recursive: true });
      writeFileSync(join(legacyStateDir(dir, 'erp'), 'changes.jsonl'), '{}\n');
      mkdirSync(join(dir, 'certs'));
      writeFileSync(join(dir, 'api-keys.json'), '{}');

      wipeStoredState(dir);

      expect(existsSync(recordsDir(dir))).toBe(false);
      expect(existsSync(legacyStateDir(dir, 'erp'))).toBe(false);
      expect(existsSync(join(dir, 'api-keys.json'))).toBe(true);
      expect(existsSync(join(dir, 'certs'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
