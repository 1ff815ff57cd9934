import { ConstantBackoff, handleAll, retry } from 'cockatiel';
import pg from 'pg';
import { z } from 'zod';
import { setting } from './env';
import type { Logger } from './log';

/** A PostgreSQL connection URL. */
export const postgresUrlVar = (defaultUrl: string) =>
  z
    .string()
    .refine((text) => URL.canParse(text) && /^postgres(ql)?:$/.test(new URL(text).protocol), 'must be a postgres:// URL')
    .default(defaultUrl);

/** Where `npm start` runs its embedded PostgreSQL when DATABASE_URL is unset (scripts/embedded-database.ts). */
export const EMBEDDED_DATABASE = { port: 4110, user: 'atrium', password: 'atrium', database: 'atrium' } as const;
export const embeddedDatabaseUrl = (port: number = EMBEDDED_DATABASE.port): string =>
  `postgres://${EMBEDDED_DATABASE.user}:${EMBEDDED_DATABASE.password}@127.0.0.1:${port}/${EMBEDDED_DATABASE.database}`;

/**
 * Atrium's shared state in PostgreSQL: the payment workflows (DBOS Transact's system database, Atrium's payment
 * records) and the event log. Every service that keeps or reads that state reads this one variable.
 */
export const databaseUrlSetting = setting('DATABASE_URL', postgresUrlVar(embeddedDatabaseUrl()));

/** How many times, a second apart, a service tries a database that starts with the stack. */
const CONNECT_ATTEMPTS = 60;

/**
 * A connection pool on `databaseUrl` with `schema` applied (idempotent DDL, under the advisory lock `schemaLock`, so
 * replicas starting together do not race). A service waits up to a minute for a database that starts with the stack;
 * a command (`connectAttempts: 1`) says at once that it cannot reach it; `signal` gives up waiting.
 */
export async function openDatabase(
  databaseUrl: string,
  log: Logger,
  options: { name: string; schema: string; schemaLock: number; max: number; connectAttempts?: number; signal?: AbortSignal },
): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.max });
  pool.on('error', (error) => log.warn({ err: error }, `${options.name}: idle connection failed`));
  let client: pg.PoolClient;
  try {
    const attempts = options.connectAttempts ?? CONNECT_ATTEMPTS;
    client = await retry(handleAll, { maxAttempts: attempts - 1, backoff: new ConstantBackoff(1_000) }).execute(() => pool.connect(), options.signal);
  } catch (error) {
    await pool.end();
    throw error;
  }
  try {
    await client.query('select pg_advisory_lock($1)', [options.schemaLock]);
    await client.query(options.schema);
    await client.query('select pg_advisory_unlock($1)', [options.schemaLock]);
  } finally {
    client.release();
  }
  return pool;
}
