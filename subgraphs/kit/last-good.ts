import type { Keyv } from 'keyv';
import type { Logger } from '../../platform/log';
import type { EntityCache } from './entity-cache';
import { BackendUnavailableError } from './errors';
import { backendMetrics } from './metrics';

/** The backends whose answers in one request came from their last good values rather than from them. */
export class StaleMarks {
  readonly backends = new Set<string>();
}

/** Kept long enough to ride out an outage, short enough that nobody mistakes it for a record of truth. */
const KEEP_MS = 24 * 60 * 60 * 1000;

/**
 * Stale-while-error reads for one backend: every good batch answer is remembered per key (in keyv: process memory,
 * or Redis shared by replicas), and while the backend is unavailable a batch whose every key is remembered is answered
 * from memory and marked stale for the client to see. Anything else fails as it would have.
 */
export class LastGood<V> {
  constructor(
    private readonly backend: string,
    private readonly store: Keyv,
    private readonly log: Logger,
  ) {}

  async read(keys: readonly string[], fetch: () => Promise<V[]>, stale: StaleMarks): Promise<V[]> {
    try {
      const values = await fetch();
      // Remembering must not slow the answer down, nor fail it; one store call for the whole batch.
      void this.store
        .setMany(keys.map((key, i) => ({ key, value: values[i], ttl: KEEP_MS })))
        .catch((error: unknown) => this.log.warn({ err: error }, 'last good values not kept'));
      return values;
    } catch (error) {
      if (!(error instanceof BackendUnavailableError)) throw error;
      const remembered = await this.recall(keys);
      backendMetrics.lastGoodLookups.inc({ cache: this.backend, result: remembered ? 'hit' : 'miss' });
      if (!remembered) throw error;
      stale.backends.add(this.backend);
      this.log.warn({ backend: this.backend, keys: keys.length }, 'backend unavailable; answering from last good values');
      return remembered;
    }
  }

  /** Lets go of the store's connection. */
  async close(): Promise<void> {
    await this.store.disconnect();
  }

  private async recall(keys: readonly string[]): Promise<V[] | undefined> {
    try {
      const values = await this.store.getMany<V>([...keys]);
      return values.every((value) => value !== undefined) ? (values as V[]) : undefined;
    } catch {
      return undefined;
    }
  }
}

/** What an adapter needs for cached and stale-while-error reads: the backend's last good values, the request's marks, and fresh values if kept. */
export interface Remembering<V> {
  lastGood: LastGood<V>;
  stale: StaleMarks;
  fresh?: EntityCache<V>;
}

/**
 * A DataLoader batch function, when `memory` is given, answering from fresh kept values first (entity cache), then from
 * the backend, then from last good values while the backend is down.
 */
export function rememberingBatch<V>(fetch: (keys: readonly string[]) => Promise<V[]>, memory?: Remembering<V>): (keys: readonly string[]) => Promise<V[]> {
  if (!memory) return fetch;
  const fromBackend = (keys: readonly string[]) => memory.lastGood.read(keys, () => fetch(keys), memory.stale);
  return memory.fresh ? (keys) => (memory.fresh as EntityCache<V>).read(keys, fromBackend) : fromBackend;
}
