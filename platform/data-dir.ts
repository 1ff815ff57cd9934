import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { readEnv } from './env';
import { repoRoot } from './paths';

/**
 * Where Atrium keeps what must survive a restart (`ATRIUM_DATA_DIR`, by default `.atrium` in the repository): the
 * idempotency records (without Redis) and the legacy stand-ins' data. Read once per process, at start-up.
 */
export function readDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const { ATRIUM_DATA_DIR } = readEnv({ ATRIUM_DATA_DIR: z.string().min(1, 'must not be empty').default(join(repoRoot, '.atrium')) }, env);
  return resolve(ATRIUM_DATA_DIR);
}

/** The folder of the records that outlive a process (one SQLite file per namespace). */
export const recordsDir = (dataDir: string): string => join(dataDir, 'records');

/** The folder where one legacy stand-in keeps its changes over its seed. */
export const legacyStateDir = (dataDir: string, backend: string): string => join(dataDir, 'legacy', backend);

/**
 * Forgets every stored record and every stand-in's changes, so the next start is from the seed. Only while the stack
 * is stopped: a running service would go on writing into files no longer there.
 */
export function wipeStoredState(dataDir: string): void {
  rmSync(recordsDir(dataDir), { recursive: true, force: true });
  rmSync(join(dataDir, 'legacy'), { recursive: true, force: true });
}
