import type Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { UsagePlan } from '../auth/api-keys';

/** What one request's charge left of a client's allowance: the numbers behind the `RateLimit-*` headers. */
export interface RateLimitOutcome {
  allowed: boolean;
  /** The plan's burst: the most a client can spend at once. */
  limit: number;
  remaining: number;
  /** Seconds until the allowance refills (when refused: until a retry can pass, for `Retry-After`). */
  resetSeconds: number;
  /** Set when the daily quota, not the rate, refused the request. */
  quotaExceeded?: boolean;
}

const DAY_SECONDS = 86_400;

interface PlanLimiters {
  rate: RateLimiterAbstract;
  quota?: RateLimiterAbstract;
}

/**
 * Per-client limits from usage plans, with `rate-limiter-flexible`: a bucket of `burst` points that refills every
 * `burst / rate` seconds (so at most `burst` at once and `rate` per second over time), and a daily quota. With a Redis client the counters are shared by every gateway replica (an in-memory limiter
 * stands in while Redis is unreachable, so an outage neither blocks nor unlimits clients); without one they are local.
 */
export class ClientRateLimiter {
  private readonly limiters = new Map<string, PlanLimiters>();

  constructor(private readonly redis?: Redis) {}

  /**
   * Charges `points` to `client` under `plan`. Never throws for an over-limit client: that is `allowed: false`, and so
   * is a charge above the plan's burst, every time (the bucket never holds that much).
   */
  async charge(client: string, plan: UsagePlan, points: number): Promise<RateLimitOutcome> {
    const limiters = this.limitersFor(plan);
    try {
      const rate = await limiters.rate.consume(client, points);
      if (limiters.quota) {
        try {
          await limiters.quota.consume(client, 1);
        } catch (refusal) {
          if (!(refusal instanceof RateLimiterRes)) throw refusal;
          return { allowed: false, limit: plan.burst, remaining: 0, resetSeconds: Math.ceil(refusal.msBeforeNext / 1000), quotaExceeded: true };
        }
      }
      return { allowed: true, limit: plan.burst, remaining: Math.max(0, rate.remainingPoints), resetSeconds: Math.ceil(rate.msBeforeNext / 1000) };
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      return { allowed: false, limit: plan.burst, remaining: 0, resetSeconds: Math.max(1, Math.ceil(refusal.msBeforeNext / 1000)) };
    }
  }

  private limitersFor(plan: UsagePlan): PlanLimiters {
    const name = `${plan.ratePerSecond}-${plan.burst}-${plan.dailyQuota}`;
    let limiters = this.limiters.get(name);
    if (!limiters) {
      limiters = {
        rate: this.limiter(`rate:${name}`, plan.burst, Math.max(1, Math.ceil(plan.burst / plan.ratePerSecond))),
        quota: plan.dailyQuota > 0 ? this.limiter(`quota:${name}`, plan.dailyQuota, DAY_SECONDS) : undefined,
      };
      this.limiters.set(name, limiters);
    }
    return limiters;
  }

  private limiter(keyPrefix: string, points: number, duration: number): RateLimiterAbstract {
    const memory = new RateLimiterMemory({ keyPrefix, points, duration });
    if (!this.redis) return memory;
    return new RateLimiterRedis({
      storeClient: this.redis,
      keyPrefix: `atrium:${keyPrefix}`,
      points,
      duration,
      insuranceLimiter: memory,
      rejectIfRedisNotReady: true,
    });
  }
}
