import pg from 'pg';
import type { Logger } from '../log';

/** The advisory lock class relays take, with the relay's name hashed as the second key. */
const RELAY_LOCK = 73714;
/** The lease connections' application_name, so an operator can tell them apart in pg_stat_activity. */
export const RELAY_APPLICATION = 'atrium-event-relay';
/** How often a relay standing by tries to take over. */
const STANDBY_MS = 1_000;

/** The right to relay under a name, held on a connection of its own: it ends when that connection does. */
export interface RelayLease {
  /** Resolves when the lease is lost (its connection failed or ended). */
  lost: Promise<void>;
  /** The lease's connection, for the relay's own bookkeeping while it holds the lease. */
  client: pg.Client;
  release(): Promise<void>;
}

/**
 * Waits until this process holds the relay lock for `name` (a session advisory lock: PostgreSQL releases it when the
 * holder's connection ends, so a relay that dies hands over within a second); undefined once `stopped` resolves.
 */
export async function acquireRelayLease(databaseUrl: string, name: string, log: Logger, stopped: Promise<void>): Promise<RelayLease | undefined> {
  let standingBy = false;
  let isStopped = false;
  void stopped.then(() => (isStopped = true));
  const pause = (ms: number) => Promise.race([new Promise<void>((resolve) => setTimeout(resolve, ms).unref()), stopped]);
  while (!isStopped) {
    const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000, application_name: RELAY_APPLICATION });
    const lost = new Promise<void>((resolve) => {
      client.on('error', (error) => {
        log.warn({ err: error }, 'event relay: the lease connection failed');
        resolve();
      });
      client.on('end', () => resolve());
    });
    try {
      await client.connect();
      while (!isStopped) {
        const { rows } = await client.query<{ held: boolean }>('select pg_try_advisory_lock($1, hashtext($2)) as held', [RELAY_LOCK, name]);
        if (rows[0]?.held) return { lost, client, release: () => client.end().catch(() => undefined) };
        if (!standingBy) log.info({ relay: name }, 'event relay: another process is relaying; standing by');
        standingBy = true;
        await pause(STANDBY_MS);
      }
    } catch (error) {
      log.warn({ err: error }, 'event relay: could not reach PostgreSQL for the relay lock; trying again');
      await pause(STANDBY_MS);
    }
    await client.end().catch(() => undefined);
  }
  return undefined;
}
