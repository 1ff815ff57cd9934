import type { Readiness } from '../../platform/graphql-http';
import type { Logger } from '../../platform/log';
import { openDurableStore, openStore } from '../../platform/store';
import { EntityCache } from './entity-cache';
import { IdempotencyStore } from './idempotency';
import { LastGood, type Remembering } from './last-good';
import { circuitReadiness, type ResilienceSettings } from './resilience';
import { RestClient } from './rest-client';
import { SoapClient } from './soap-client';
import type { RequestScope } from './subgraph-server';

/** How a subgraph reaches its backend, as its process reads it from the environment (or a test stack sets it). */
export interface BackendSettings {
  url: string;
  connections: number;
  resilience: ResilienceSettings;
  /** Where shared state (idempotency records, last good values) lives across replicas; process memory when unset. */
  redisUrl?: string;
  /** Where records that must survive a restart are kept without Redis (`ATRIUM_DATA_DIR`). */
  dataDir: string;
  /** Keep backend reads fresh for a while (`ENTITY_CACHE=on`), for as long as each subgraph's types allow. */
  entityCache?: boolean;
  log: Logger;
  /** Where a subgraph's runtime reads its own settings (the payment workflows' DATABASE_URL…): the process's by default. */
  env?: NodeJS.ProcessEnv;
}

/** The protocols a legacy backend may speak, and the kit's process-wide client for each. */
export interface Transports {
  rest: RestClient;
  soap: SoapClient;
}
export type BackendKind = keyof Transports;

/** The legacy system behind a subgraph: how it is spoken to, and the name clients see in errors ("ERP is unavailable"). */
export interface BackendDeclaration<K extends BackendKind = BackendKind> {
  kind: K;
  label: string;
}

const transports: { [K in BackendKind]: (backend: string, settings: BackendSettings) => Transports[K] } = {
  rest: (backend, settings) => new RestClient({ ...settings, backend, baseUrl: settings.url }),
  soap: (backend, settings) => new SoapClient({ ...settings, backend, endpoint: settings.url }),
};

/** What a subgraph keeps for the life of its process to reach its legacy backend. */
export interface BackendLink<TClient> {
  /** The backend's client, with its connection pool and resilience policy. */
  client: TClient;
  /** What one request's adapter reads through: fresh values when kept, the backend's last good values, the request's stale marks. */
  memory<V>(request: RequestScope): Remembering<V>;
  /** Not ready while the backend's circuit is open. */
  readiness(): Readiness;
  close(): Promise<void>;
}

/**
 * Links a subgraph to its backend at `settings.url`: the client, the last good values and, with `ENTITY_CACHE=on`,
 * fresh values kept for `freshForMs` (both shared by replicas through Redis when `REDIS_URL` is set), readiness from
 * the circuit, and one close for all of it.
 */
export function linkBackend<K extends BackendKind>(
  subgraph: string,
  backend: BackendDeclaration<K>,
  freshForMs: number,
  settings: BackendSettings,
): BackendLink<Transports[K]> {
  const { redisUrl, log, entityCache } = settings;
  const client = transports[backend.kind](backend.label, settings);
  const lastGood = new LastGood<unknown>(client.policy.backend, openStore(`${subgraph}-last-good`, { redisUrl, log }), log);
  const fresh = entityCache ? new EntityCache<unknown>(subgraph, openStore(`${subgraph}-entities`, { redisUrl, log }), freshForMs, log) : undefined;
  return {
    client,
    // The stores hold whatever the adapter's batches return; the adapter names that type.
    memory: <V>({ stale }: RequestScope) => ({ lastGood, fresh, stale }) as Remembering<V>,
    readiness: circuitReadiness(client.policy),
    async close() {
      await client.close();
      await lastGood.close();
      await fresh?.close();
    },
  };
}

/** Idempotency records for a subgraph's mutations: in a SQLite file under `dataDir`, or in Redis shared by every replica. */
export function openIdempotency(subgraph: string, { redisUrl, dataDir, log }: BackendSettings): IdempotencyStore {
  return new IdempotencyStore(openDurableStore(`${subgraph}-idempotency`, { redisUrl, dataDir, log }), log);
}
