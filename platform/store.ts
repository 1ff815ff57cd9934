import KeyvRedis from '@keyv/redis';
import { Keyv } from 'keyv';
import { LRUCache } from 'lru-cache';
import type { Logger } from './log';

/** In process memory a store keeps at most this many entries, least recently used dropped first. */
const MEMORY_ENTRIES = 100_000;

/** An LRU map as keyv wants a store: keyv passes a ttl as third argument (and enforces it itself), lru-cache options there. */
class BoundedMap extends LRUCache<string, object> {
  override set(key: string, value: object): this {
    return super.set(key, value);
  }
}

/**
 * A keyv store: in process memory by default (bounded), or in Redis when `redisUrl` is set so that every replica of a
 * service shares it. Store failures are logged; callers treat them as a miss.
 */
export function openStore(namespace: string, options: { redisUrl?: string; log: Logger }): Keyv {
  const store = options.redisUrl
    ? new KeyvRedis(options.redisUrl, { throwOnConnectError: false, connectionTimeout: 2_000 })
    : new BoundedMap({ max: MEMORY_ENTRIES });
  const keyv = new Keyv({ store, namespace, throwOnErrors: false });
  keyv.on('error', (error: unknown) => options.log.warn({ err: error, namespace }, 'store unavailable'));
  return keyv;
}
