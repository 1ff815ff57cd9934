import type { Keyv } from 'keyv';
import type { Logger } from '../../platform/log';
import { backendMetrics } from './metrics';

/**
 * Backend reads kept for a short time per key (in keyv: process memory, or Redis shared by replicas), so a hot
 * customer costs the legacy system one call per `freshForMs`, not one per request. Unknown keys (null) are not kept;
 * a mutation forgets the keys it changed. A store outage is a miss.
 */
export class EntityCache<V> {
  constructor(
    private readonly name: string,
    private readonly store: Keyv,
    private readonly freshForMs: number,
    private readonly log: Logger,
  ) {}

  /** The kept values of `keys`, the others from `load` (one call for all of them), in the order of `keys`. */
  async read(keys: readonly string[], load: (keys: readonly string[]) => Promise<V[]>): Promise<V[]> {
    const kept = await this.store.getMany<V>([...keys]).catch(() => keys.map(() => undefined));
    const missing = keys.filter((_, i) => kept[i] === undefined || kept[i] === null);
    backendMetrics.entityCacheLookups.inc({ cache: this.name, result: 'hit' }, keys.length - missing.length);
    if (missing.length === 0) return kept as V[];
    backendMetrics.entityCacheLookups.inc({ cache: this.name, result: 'miss' }, missing.length);
    const loaded = await load(missing);
    const fresh = missing.map((key, i) => ({ key, value: loaded[i] as V })).filter((entry) => entry.value !== null && entry.value !== undefined);
    if (fresh.length > 0)
      void this.store
        .setMany(fresh.map((entry) => ({ ...entry, ttl: this.freshForMs })))
        .catch((error: unknown) => this.log.warn({ err: error }, 'entity cache not written'));
    const byKey = new Map(missing.map((key, i) => [key, loaded[i] as V]));
    return keys.map((key, i) => (byKey.has(key) ? (byKey.get(key) as V) : (kept[i] as V)));
  }

  /** Drops what a mutation changed, before the mutation answers: the caller's next read goes to the backend. */
  async forget(key: string): Promise<void> {
    await this.store.delete(key).catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.store.disconnect();
  }
}
