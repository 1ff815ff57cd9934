import { newApiKey, writeKeyFile } from '../../gateway/auth/api-keys';
import type { RunningService } from '../../platform/run';
import { describeWithRedis, redisUrl } from '../support/redis';
import { startStack, type Stack } from '../support/stack';

describeWithRedis('rate limits across gateway replicas sharing Redis', () => {
  let stack: Stack;
  const replicas: RunningService[] = [];
  beforeAll(async () => {
    stack = await startStack();
    for (let i = 0; i < 2; i += 1) replicas.push(await stack.startGateway({ REDIS_URL: redisUrl }));
  });
  afterAll(() => stack?.stop());

  it('holds one client to one allowance whichever replica it reaches', async () => {
    // A client id of its own, so counters left in Redis by earlier runs cannot interfere.
    const { key, record } = newApiKey(`replicated-${process.pid}-${Date.now()}`, ['customers:read'], { ratePerSecond: 1, burst: 3, dailyQuota: 0 });
    writeKeyFile(stack.apiKeysFile, [record]);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const replica = replicas[i % 2] as RunningService;
      const response = await fetch(replica.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key },
        body: JSON.stringify({ query: '{ customer(id: "cust-1") { id } }' }),
      });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});
