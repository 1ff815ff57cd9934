import { join } from 'node:path';
import KeyvRedis from '@keyv/redis';
import { Keyv, type KeyvStoreAdapter } from 'keyv';
import { LRUCache } from 'lru-cache';
import { recordsDir } from './data-dir';
import type { Logger } from './log';
import { SqliteStore } from './sqlite-store';

/** In process memory a store keeps at most this many entries, least recently used dropped first. */
const MEMORY_ENTRIES = 100_000;
/** A store call that takes longer is a miss: a cache must never be slower than what it saves. */
const CALL_TIMEOUT_MS = 250;
/** After a failed call the store is left alone this long, so an outage costs one timeout, not one per request. */
const PAUSE_AFTER_FAILURE_MS = 5_000;

/** An LRU map as keyv wants a store: keyv passes a ttl as third argument (and enforces it itself), lru-cache options there. */
class BoundedMap extends LRUCache<string, object> {
  override set(key: string, value: object): this {
    return super.set(key, value);
  }
}

class StoreUnavailable extends Error {}

/**
 * A Redis store whose calls fail fast: each is bounded by CALL_TIMEOUT_MS, and after a failure calls fail at once for
 * PAUSE_AFTER_FAILURE_MS. keyv turns the failures into misses (and no-op writes) and reports them as `error` events.
 */
function failingFast(store: KeyvRedis<unknown>): KeyvStoreAdapter {
  let pausedUntil = 0;
  const guarded = async <T>(call: () => Promise<T>): Promise<T> => {
    if (Date.now() < pausedUntil) throw new StoreUnavailable('store paused after a failure');
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        call(),
        new Promise<never>(
          (_resolve, reject) => (timer = setTimeout(() => reject(new StoreUnavailable(`no answer within ${CALL_TIMEOUT_MS} ms`)), CALL_TIMEOUT_MS)),
        ),
      ]);
    } catch (error) {
      pausedUntil = Date.now() + PAUSE_AFTER_FAILURE_MS;
      throw error;
    } finally {
      clearTimeout(timer);
    }
  };
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      // Closing discards what is queued (a service closes its stores after its last answer), and a client still reconnecting stops.
      if (property === 'disconnect') return () => target.disconnect(true);
      if (!['get', 'getMany', 'set', 'setMany', 'delete', 'deleteMany', 'has', 'hasMany', 'clear'].includes(property)) return value.bind(target);
      return (...args: unknown[]) => guarded(() => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
    },
  }) as unknown as KeyvStoreAdapter;
}

const redisStore = (redisUrl: string) => failingFast(new KeyvRedis(redisUrl, { throwOnConnectError: false, connectionTimeout: 2_000 }));

/**
 * A keyv cache: in process memory by default (bounded; values kept by reference, so callers must not change them), or in Redis when `redisUrl` is set so that every replica of a
 * service shares it. Store failures are logged; callers treat them as a miss.
 */
export function openStore(namespace: string, options: { redisUrl?: string; log: Logger }): Keyv {
  // In memory, values are kept as the objects they are: serialising each to JSON and back bought nothing but CPU.
  const keyv = options.redisUrl
    ? new Keyv({ store: redisStore(options.redisUrl), namespace, throwOnErrors: false })
    : new Keyv({ store: new BoundedMap({ max: MEMORY_ENTRIES }), namespace, throwOnErrors: false, serialize: undefined, deserialize: undefined });
  keyv.on('error', (error: unknown) => options.log.warn({ err: error, namespace }, 'store unavailable'));
  return keyv;
}

/**
 * A keyv store for records that must outlive the process and agree across replicas (idempotency records): in Redis when
 * `redisUrl` is set, otherwise in a SQLite file under `<dataDir>/records/`. Unlike a cache, a failing store throws:
 * a record that cannot be read must never pass for one that does not exist.
 */
export function openDurableStore(namespace: string, options: { redisUrl?: string; dataDir: string; log: Logger }): Keyv {
  const store = options.redisUrl ? redisStore(options.redisUrl) : new SqliteStore(join(recordsDir(options.dataDir), `${namespace}.sqlite`));
  const keyv = new Keyv({ store, namespace, throwOnErrors: true });
  keyv.on('error', (error: unknown) => options.log.warn({ err: error, namespace }, 'durable store unavailable'));
  return keyv;
}
