import { DBOS } from '@dbos-inc/dbos-sdk';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { z } from 'zod';
import { setting } from './env';

/**
 * `WORKFLOW_EXECUTOR_ID`: whose workflows a process recovers when it starts. DBOS Transact resumes, at launch, the
 * unfinished workflows of its own executor id; replicas sharing one system database need one id each, kept across
 * restarts (`orders-1`, a StatefulSet's pod name), or a replica starting would also resume the workflows another one is
 * running. One process alone keeps the default.
 */
export const executorIdSetting = setting(
  'WORKFLOW_EXECUTOR_ID',
  z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1 to 64 letters, digits, dots, dashes or underscores')
    .default('local'),
);

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
