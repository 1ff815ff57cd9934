import Redis from 'ioredis';
import { describeWithRedis, redisUrl } from '../../test/support/redis';
import { ClientRateLimiter } from './rate-limit';

const plan = { ratePerSecond: 2, burst: 4, dailyQuota: 0 };

async function spend(limiter: ClientRateLimiter, client: string, times: number, points = 1, p = plan) {
  const outcomes = [];
  for (let i = 0; i < times; i += 1) outcomes.push(await limiter.charge(client, p, points));
  return outcomes;
}

describe('ClientRateLimiter in memory', () => {
  it('lets a client spend its burst at once, then refuses with a retry time', async () => {
    const outcomes = await spend(new ClientRateLimiter(), 'acme', 5);
    expect(outcomes.map((o) => o.allowed)).toEqual([true, true, true, true, false]);
    expect(outcomes[0]).toMatchObject({ limit: 4 });
    expect(outcomes[4]?.resetSeconds).toBeGreaterThanOrEqual(1);
  });

  it('keeps clients apart', async () => {
    const limiter = new ClientRateLimiter();
    await spend(limiter, 'acme', 4);
    expect((await limiter.charge('globex', plan, 1)).allowed).toBe(true);
  });

  it('charges expensive operations more points', async () => {
    const outcomes = await spend(new ClientRateLimiter(), 'acme', 2, 3);
    expect(outcomes.map((o) => o.allowed)).toEqual([true, false]);
    expect(outcomes[0]?.remaining).toBe(1);
  });

  it('never admits a charge above the burst, not even with a full bucket', async () => {
    const outcomes = await spend(new ClientRateLimiter(), 'acme', 2, plan.burst + 1);
    expect(outcomes.map((o) => o.allowed)).toEqual([false, false]);
    expect((await new ClientRateLimiter().charge('acme', plan, plan.burst)).allowed).toBe(true);
  });

  it('enforces the daily quota separately from the rate', async () => {
    const quotaPlan = { ratePerSecond: 100, burst: 100, dailyQuota: 3 };
    const outcomes = await spend(new ClientRateLimiter(), 'acme', 4, 1, quotaPlan);
    expect(outcomes.map((o) => o.allowed)).toEqual([true, true, true, false]);
    expect(outcomes[3]).toMatchObject({ quotaExceeded: true });
    expect(outcomes[3]?.resetSeconds).toBeGreaterThan(3600);
  });
});

describeWithRedis('ClientRateLimiter over Redis', () => {
  const clients: Redis[] = [];
  const replica = () => {
    const redis = new Redis(redisUrl, { enableOfflineQueue: true, maxRetriesPerRequest: 1 });
    clients.push(redis);
    return new ClientRateLimiter(redis);
  };
  afterAll(() => clients.forEach((client) => client.disconnect()));

  it('shares one allowance between two replicas', async () => {
    const client = `shared-${process.pid}-${Date.now()}`;
    const [a, b] = [replica(), replica()];
    await Promise.all(clients.map((redis) => redis.ping()));
    const outcomes = [
      await a.charge(client, plan, 1),
      await b.charge(client, plan, 1),
      await a.charge(client, plan, 1),
      await b.charge(client, plan, 1),
      await a.charge(client, plan, 1),
    ];
    expect(outcomes.map((o) => o.allowed)).toEqual([true, true, true, true, false]);
  });
});
