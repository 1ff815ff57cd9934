import { DBOS } from '@dbos-inc/dbos-sdk';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

/** How often a process waiting for another's launch asks again. */
const RETRY_MS = 200;

/** The advisory lock processes take while DBOS prepares the system database they share. */
const SYSTEM_DATABASE_LOCK = 73716;

/**
 * Launches DBOS Transact with the system database to itself: every service with workflows (the orders subgraph, the
 * events service, their replicas) shares one, and two launches migrating it at once fail ("tuple concurrently
 * updated", "deadlock detected"). The lock is held on a connection of its own and only while launching.
 */
export async function launchDbos(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    // Tried, not waited for: a session waiting on a lock is in a transaction, and DBOS's migrations (CREATE INDEX
    // CONCURRENTLY) wait for every open transaction, so the holder would wait for the waiter.
    while (!(await client.query<{ held: boolean }>('select pg_try_advisory_lock($1) as held', [SYSTEM_DATABASE_LOCK])).rows[0]?.held) await sleep(RETRY_MS);
    await DBOS.launch();
  } finally {
    await client.end().catch(() => undefined);
  }
}
