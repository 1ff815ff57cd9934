import type { Readiness } from '../../platform/graphql-http';
import type { Logger } from '../../platform/log';
import { EntityCache } from './entity-cache';
import { IdempotencyStore } from './idempotency';
import { LastGood } from './last-good';
import { circuitReadiness, type BackendPolicy } from './resilience';
import type { BackendSettings } from './run-subgraph';
import { openDurableStore, openStore } from '../../platform/store';

/** What a subgraph keeps for the life of its process to reach its legacy backend. */
export interface BackendLink<TClient, V> {
  client: TClient;
  /** The backend's last good values, for stale-while-error reads. */
  lastGood: LastGood<V>;
  /** Fresh backend reads kept for a while (`ENTITY_CACHE=on`); none otherwise. */
  fresh?: EntityCache<V>;
  /** Not ready while the backend's circuit is open. */
  readiness(): Readiness;
  close(): Promise<void>;
}

/**
 * Links a subgraph to its backend: the client (with its connection pool and resilience policy), the last good values
 * and, with `ENTITY_CACHE=on`, fresh values (both shared by replicas through Redis when `REDIS_URL` is set),
 * readiness from the circuit, and one close for all of it.
 */
export function linkBackend<TClient extends { policy: BackendPolicy; close(): Promise<void> }, V>(
  subgraph: string,
  client: TClient,
  { redisUrl, log, entityCache }: BackendSettings,
  /** How long a backend read stays fresh when the entity cache is on. */
  freshForMs: number,
): BackendLink<TClient, V> {
  const lastGood = new LastGood<V>(client.policy.backend, openStore(`${subgraph}-last-good`, { redisUrl, log }), log);
  const fresh = entityCache ? new EntityCache<V>(subgraph, openStore(`${subgraph}-entities`, { redisUrl, log }), freshForMs, log) : undefined;
  return {
    client,
    lastGood,
    fresh,
    readiness: circuitReadiness(client.policy),
    async close() {
      await client.close();
      await lastGood.close();
      await fresh?.close();
    },
  };
}

/** Idempotency records for a subgraph's mutations: in a SQLite file under `dataDir`, or in Redis shared by every replica. */
export function openIdempotency(subgraph: string, { redisUrl, dataDir, log }: { redisUrl?: string; dataDir: string; log: Logger }): IdempotencyStore {
  return new IdempotencyStore(openDurableStore(`${subgraph}-idempotency`, { redisUrl, dataDir, log }), log);
}
