import Redis from 'ioredis';

/**
 * Asks Redis at `url` one thing on a connection of its own, without retries: `otherwise` when it does not answer
 * within `timeoutMs` (not up, stopped, refused).
 */
export async function askRedis<T>(url: string, ask: (client: Redis) => Promise<T>, otherwise: T, timeoutMs = 1_000): Promise<T> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null });
  // A refused connection is an answer here, reported by connect() itself.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await ask(client);
  } catch {
    return otherwise;
  } finally {
    client.disconnect();
  }
}

/** Whether Redis answers PING at `url` within `timeoutMs`. */
export const redisAnswers = (url: string, timeoutMs?: number): Promise<boolean> =>
  askRedis(url, async (client) => (await client.ping()) === 'PONG', false, timeoutMs);
