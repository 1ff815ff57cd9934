import KeyvRedis from '@keyv/redis';
import { Keyv } from 'keyv';
import type { Logger } from '../../platform/log';

/**
 * A keyv store: in process memory by default, or in Redis when `redisUrl` is set so that every replica of a subgraph
 * shares it. Store failures are logged; callers treat them as a miss.
 */
export function openStore(namespace: string, options: { redisUrl?: string; log: Logger }): Keyv {
  const store = options.redisUrl ? new KeyvRedis(options.redisUrl, { throwOnConnectError: false, connectionTimeout: 2_000 }) : new Map();
  const keyv = new Keyv({ store, namespace, throwOnErrors: false });
  keyv.on('error', (error: unknown) => options.log.warn({ err: error, namespace }, 'store unavailable'));
  return keyv;
}
