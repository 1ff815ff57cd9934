import { LRUCache } from 'lru-cache';

/**
 * What verifying a token gave, kept until the token expires: a signature is checked once per token, not once per
 * request. Keyed by the whole token, so only the very same token hits; failures are never kept.
 */
export class VerifiedTokens<T extends object> {
  private readonly verified: LRUCache<string, T>;

  constructor(max = 10_000) {
    this.verified = new LRUCache<string, T>({ max, ttlAutopurge: false });
  }

  /** The cached result for `token`, or `verify(token)`'s, kept until `expiresAt` (epoch seconds). */
  async get(token: string, verify: (token: string) => Promise<{ value: T; expiresAt: number }>): Promise<T> {
    const cached = this.verified.get(token);
    if (cached) return cached;
    const { value, expiresAt } = await verify(token);
    const ttl = expiresAt * 1000 - Date.now();
    if (ttl > 0) this.verified.set(token, value, { ttl });
    return value;
  }
}
