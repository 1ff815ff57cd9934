import { PROFILE_QUERY } from '../../scripts/chaos/clients';
import { startProcessStack, type ProcessStack } from '../../scripts/process-stack';

jest.setTimeout(120_000);

const LIMIT = 4;
const CRM_LATENCY_MS = 1_500;

/** What one client saw: status, Retry-After, the body, and when the answer came (ms after the burst started). */
interface Seen {
  status: number;
  retryAfter: string | null;
  body: { data?: { customer?: { name?: string } | null } | null; errors?: Array<{ extensions?: { code?: string } }> };
  at: number;
}

async function post(url: string, authorization: string, query: string, variables: Record<string, unknown>, started: number): Promise<Seen> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(30_000),
  });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as Seen['body'],
    at: performance.now() - started,
  };
}

/** Fires `count` requests at once and returns what each got, in the order they were sent. */
async function burst(count: number, send: (started: number) => Promise<Seen>): Promise<Seen[]> {
  const started = performance.now();
  return Promise.all(Array.from({ length: count }, () => send(started)));
}

describe('overload, with the built services as processes and MAX_INFLIGHT=4 everywhere', () => {
  let stack: ProcessStack;
  let bearer: string;
  beforeAll(async () => {
    stack = await startProcessStack({ env: { MAX_INFLIGHT: String(LIMIT) } });
    bearer = `Bearer ${await stack.token({ sub: 'overload', role: 'service', scopes: 'customers:read pii:read orders:read preferences:read tickets:read' })}`;
  });
  afterAll(() => stack?.stop());
  afterEach(() => stack.setFaults('crm', { latencyMs: 0 }));

  it('refuses the excess at the gateway at once with 503 and Retry-After, and serves the admitted requests whole', async () => {
    await stack.setFaults('crm', { latencyMs: CRM_LATENCY_MS });
    const seen = await burst(3 * LIMIT, (started) => post(stack.gatewayUrl, bearer, PROFILE_QUERY, { id: 'cust-7' }, started));

    const admitted = seen.filter((answer) => answer.status === 200);
    const refused = seen.filter((answer) => answer.status === 503);
    expect(admitted).toHaveLength(LIMIT);
    expect(refused).toHaveLength(2 * LIMIT);
    expect(seen.filter((answer) => answer.status !== 200 && answer.status !== 503)).toEqual([]);
    for (const answer of admitted) {
      expect(answer.body.errors).toBeUndefined();
      expect(answer.body.data?.customer?.name).toEqual(expect.any(String));
      expect(answer.at).toBeGreaterThanOrEqual(CRM_LATENCY_MS);
    }
    for (const answer of refused) {
      expect(answer.retryAfter).toBe('1');
      expect(answer.body).toEqual({ errors: [{ message: expect.stringContaining('retry after 1 s'), extensions: { code: 'OVERLOADED' } }] });
    }
    // Refused at once: every refusal arrived while the admitted requests were still waiting for the slow CRM.
    expect(Math.max(...refused.map((answer) => answer.at))).toBeLessThan(Math.min(...admitted.map((answer) => answer.at)));
    expect((await stack.calls('crm')).total).toBeGreaterThan(0);

    // Once the admitted ones are answered, the gateway serves normally again.
    await stack.setFaults('crm', { latencyMs: 0 });
    const after = await burst(LIMIT, (started) => post(stack.gatewayUrl, bearer, PROFILE_QUERY, { id: 'cust-8' }, started));
    expect(after.map((answer) => answer.status)).toEqual(Array(LIMIT).fill(200));
    expect(after.every((answer) => answer.body.errors === undefined && typeof answer.body.data?.customer?.name === 'string')).toBe(true);
  });

  it('refuses the excess at a subgraph the same way', async () => {
    const token = await stack.internalToken(
      { subject: 'overload-direct', clientId: 'atrium-processes', role: 'service', scopes: ['customers:read'], via: 'oauth' },
      'customers',
    );
    await stack.setFaults('crm', { latencyMs: CRM_LATENCY_MS });
    await stack.resetCalls();
    // Different customers, so no two requests are one batch.
    const seen = await Promise.all(
      Array.from({ length: 2 * LIMIT }, (_, index) => {
        const started = performance.now();
        return post(
          stack.subgraphUrls.customers as string,
          `Bearer ${token}`,
          'query($id: ID!) { customer(id: $id) { id } }',
          { id: `cust-${20 + index}` },
          started,
        );
      }),
    );
    expect(seen.filter((answer) => answer.status === 200)).toHaveLength(LIMIT);
    const refused = seen.filter((answer) => answer.status === 503);
    expect(refused).toHaveLength(LIMIT);
    expect(refused.every((answer) => answer.retryAfter === '1' && answer.body.errors?.[0]?.extensions?.code === 'OVERLOADED')).toBe(true);
    expect(Math.max(...refused.map((answer) => answer.at))).toBeLessThan(CRM_LATENCY_MS);
    // Only the admitted requests reached the CRM.
    expect((await stack.calls('crm')).total).toBe(LIMIT);
  });
});
