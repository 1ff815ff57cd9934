import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The PostgreSQL that test and bench stacks make their databases in: `ATRIUM_TEST_DATABASE_URL`, or the machine's own. */
export const testDatabaseServer = process.env.ATRIUM_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface ThrowawayDatabase {
  /** `postgres://…/atrium_<random>`: for DATABASE_URL. */
  url: string;
  /** Drops it, whoever is still connected. */
  drop(): Promise<void>;
}

const admin = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
  const client = new pg.Client({ connectionString: testDatabaseServer, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
};

/** A new, empty database for one stack, so stacks never see each other's workflows. */
export async function throwawayDatabase(): Promise<ThrowawayDatabase> {
  const name = `atrium_${randomBytes(6).toString('hex')}`;
  await admin((client) => client.query(`create database ${name}`));
  const url = new URL(testDatabaseServer);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin((client) => client.query(`drop database if exists ${name} with (force)`)).then(() => undefined) };
}
