import { LRUCache } from 'lru-cache';

/**
 * What verifying a token gave, kept until the token expires: a signature is checked once per token, not once per
 * request. Keyed by the whole token, so only the very same token hits; failures are never kept. One instance holds the
 * results of one verifier only (one issuer, one audience), so a token good for another audience is never answered here.
 */
export class VerifiedTokens<T extends object> {
  private readonly verified: LRUCache<string, T>;

  constructor(
    private readonly verify: (token: string) => Promise<{ value: T; expiresAt: number }>,
    max = 10_000,
  ) {
    this.verified = new LRUCache<string, T>({ max, ttlAutopurge: false });
  }

  /** The cached result for `token`, or the verifier's, kept until its `expiresAt` (epoch seconds). */
  async get(token: string): Promise<T> {
    const cached = this.verified.get(token);
    if (cached) return cached;
    const { value, expiresAt } = await this.verify(token);
    const ttl = expiresAt * 1000 - Date.now();
    if (ttl > 0) this.verified.set(token, value, { ttl });
    return value;
  }
}
