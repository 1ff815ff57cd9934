import { z } from 'zod';
import { setting } from './env';

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
