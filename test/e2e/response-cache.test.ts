import type { RunningService } from '../../platform/run';
import { freePort } from '../../platform/http';
import { PROFILE_QUERY } from '../support/operations';
import { describeWithRedis, redisUrl } from '../support/redis';
import { startStack, type Stack } from '../support/stack';

const READS = 'customers:read pii:read orders:read preferences:read tickets:read';
const UPDATE = 'mutation($id: ID!) { updatePreferences(customerId: $id, input: { marketingOptIn: true }) { marketingOptIn } }';

interface Answer {
  status: number;
  cache: string | null;
  vary: string | null;
  body: { data?: { customer?: { id: string; name: string } | null }; errors?: Array<{ extensions?: { code?: string } }> };
}

describe('the response cache (RESPONSE_CACHE=on)', () => {
  let stack: Stack;
  let cached: RunningService;
  beforeAll(async () => {
    stack = await startStack();
    cached = await stack.startGateway({ RESPONSE_CACHE: 'on' });
  });
  afterAll(() => stack.stop());

  const ask = async (gateway: RunningService, token: string, query = PROFILE_QUERY, id = 'cust-1'): Promise<Answer> => {
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables: { id } }),
    });
    return {
      status: response.status,
      cache: response.headers.get('x-cache'),
      vary: response.headers.get('vary'),
      body: (await response.json()) as Answer['body'],
    };
  };
  const businessCalls = async () => Object.values(await stack.calls()).reduce((sum, backend) => sum + backend.total, 0);

  it('answers a repeated query from the cache, without reaching a backend', async () => {
    const token = await stack.token({ sub: 'cust-11', role: 'customer', scopes: READS });
    const first = await ask(cached, token, PROFILE_QUERY, 'cust-11');
    expect(first).toMatchObject({ status: 200, cache: 'miss' });
    expect(first.vary).toContain('authorization');
    await stack.resetCalls();
    const second = await ask(cached, token, PROFILE_QUERY, 'cust-11');
    expect(second).toMatchObject({ status: 200, cache: 'hit', body: first.body });
    expect(await businessCalls()).toBe(0);
  });

  it("never serves one caller's cached profile to another", async () => {
    const own = await stack.token({ sub: 'cust-12', role: 'customer', scopes: READS });
    expect((await ask(cached, own, PROFILE_QUERY, 'cust-12')).body.data?.customer?.id).toBe('cust-12');
    expect((await ask(cached, own, PROFILE_QUERY, 'cust-12')).cache).toBe('hit');
    const other = await stack.token({ sub: 'cust-13', role: 'customer', scopes: READS });
    const refused = await ask(cached, other, PROFILE_QUERY, 'cust-12');
    expect(refused.cache).not.toBe('hit');
    expect(refused.body.data?.customer).toBeNull();
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    // Same customer, fewer scopes: another entry, with the email withheld.
    const narrow = await stack.token({ sub: 'cust-12', role: 'customer', scopes: 'customers:read' });
    const withoutPii = await ask(cached, narrow, '{ customer(id: "cust-12") { id email } }');
    expect(withoutPii.cache).not.toBe('hit');
    expect(withoutPii.body.data?.customer).toEqual({ id: 'cust-12', email: null });
  });

  it('lets a caller read their own change right after a mutation, and never caches the mutation', async () => {
    const token = await stack.token({ sub: 'cust-14', role: 'customer', scopes: `${READS} preferences:write` });
    const query = 'query($id: ID!) { customer(id: $id) { id preferences { marketingOptIn } } }';
    await ask(cached, token, query, 'cust-14');
    expect((await ask(cached, token, query, 'cust-14')).cache).toBe('hit');
    const updated = await ask(cached, token, UPDATE, 'cust-14');
    expect(updated.cache).toBe('uncacheable');
    const after = await ask(cached, token, query, 'cust-14');
    expect(after.cache).toBe('miss');
    expect(after.body.data?.customer).toEqual({ id: 'cust-14', preferences: { marketingOptIn: true } });
  });

  it('is off by default: nothing is kept', async () => {
    const token = await stack.token({ sub: 'cust-15', role: 'customer', scopes: READS });
    await ask({ url: stack.gatewayUrl, stop: async () => undefined }, token, PROFILE_QUERY, 'cust-15');
    expect((await ask({ url: stack.gatewayUrl, stop: async () => undefined }, token, PROFILE_QUERY, 'cust-15')).cache).toBe('miss');
  });

  it('treats an unreachable cache store as a miss, never an error', async () => {
    const unreachable = await stack.startGateway({ RESPONSE_CACHE: 'on', REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    const token = await stack.token({ sub: 'cust-16', role: 'customer', scopes: READS });
    for (let i = 0; i < 2; i += 1) {
      const answer = await ask(unreachable, token, PROFILE_QUERY, 'cust-16');
      expect(answer).toMatchObject({ status: 200, cache: 'miss' });
      expect(answer.body.errors).toBeUndefined();
    }
  });
});

describeWithRedis('the response cache shared by gateway replicas through Redis', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.stop());

  it('answers on one replica from what another computed', async () => {
    const [first, second] = [
      await stack.startGateway({ RESPONSE_CACHE: 'on', REDIS_URL: redisUrl }),
      await stack.startGateway({ RESPONSE_CACHE: 'on', REDIS_URL: redisUrl }),
    ];
    const token = await stack.token({ sub: 'cust-17', role: 'customer', scopes: READS });
    // A query text of its own per run: entries left in Redis by an earlier run must not answer this one.
    const body = `{ customer(id: "cust-17") { id name } } # ${Date.now()}-${Math.random()}`;
    const send = (gateway: RunningService) =>
      fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: body }),
      });
    expect((await send(first)).headers.get('x-cache')).toBe('miss');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await stack.resetCalls();
    const fromSecond = await send(second);
    expect(fromSecond.headers.get('x-cache')).toBe('hit');
    expect(((await fromSecond.json()) as { data: unknown }).data).toEqual({ customer: { id: 'cust-17', name: expect.any(String) } });
    expect(Object.values(await stack.calls()).every((backend) => backend.total === 0)).toBe(true);
  });
});
