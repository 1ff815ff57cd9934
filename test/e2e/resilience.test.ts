import { callSoap, elements, text } from '../support/legacy';
import { startStack, type Stack } from '../support/stack';

const ERP_NAMESPACE = 'urn:atrium:legacy:erp';
const PROFILE = 'query($id: ID!) { customer(id: $id) { id name orders(first: 3) { id } preferences { language } supportTickets { id } } }';

type Profile = { id: string; name: string; orders: unknown[] | null; preferences: unknown; supportTickets: unknown[] | null };

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

/** Every order the ERP holds for a customer, read from the ERP itself. */
async function erpOrdersOf(stack: Stack, customerId: string): Promise<Array<{ id: string; reference?: string }>> {
  const answer = await callSoap(`${stack.backendUrls.erp}/erp`, ERP_NAMESPACE, 'GetOrdersByCustomerIds', { CustomerId: [customerId] });
  return elements(answer.body, 'Order').map((order) => ({ id: text(order, 'OrderId') as string, reference: text(order, 'ExternalReference') }));
}

describe('fault tolerance', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      resilience: {
        timeoutMs: 300,
        retries: 2,
        backoffInitialMs: 5,
        backoffMaxMs: 40,
        // A circuit that judges quickly: two failed calls in a second, most of them failing, open it.
        breakerWindowMs: 1_000,
        breakerMinRps: 2,
        breakerHalfOpenMs: 500,
        bulkheadLimit: 4,
        bulkheadQueue: 4,
      },
    });
  });
  afterAll(() => stack?.stop());
  afterEach(async () => {
    for (const backend of ['crm', 'preference-service', 'erp', 'helpdesk'] as const)
      await stack.setFaults(backend, { latencyMs: 0, errorRate: 0, down: false, dropResponseRate: 0 });
  });

  it('answers quickly with a partial profile when a backend is slower than the timeout', async () => {
    await stack.setFaults('preference-service', { latencyMs: 5_000 });
    // Every attempt times out at 300 ms: three attempts end long before the backend would answer.
    const { ms, value } = await timed(() => stack.query(PROFILE, { id: 'cust-501' }));
    const customer = value.data?.customer as Profile;
    expect(customer.preferences).toBeNull();
    expect(customer.orders).not.toBeNull();
    expect(value.errors).toEqual([
      expect.objectContaining({ path: ['customer', 'preferences'], extensions: expect.objectContaining({ code: 'BACKEND_UNAVAILABLE' }) }),
    ]);
    expect(ms).toBeLessThan(1_500);
  });

  it('books one order when PlaceOrder answers are lost: the workflow retries its step, the client its key', async () => {
    const before = await erpOrdersOf(stack, 'cust-520');
    await stack.setFaults('erp', { dropResponseRate: 1 });
    const mutation =
      'mutation($key: String!) { placeOrder(input: { customerId: "cust-520", idempotencyKey: $key, lines: [{ sku: "SKU-0001", quantity: 1 }] }) { id } }';
    // The workflow keeps booking (each answer lost) past the wait: the client is told to retry with its key.
    const lost = await stack.query(mutation, { key: 'lost-answer-1' });
    expect(lost.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_KEY_IN_PROGRESS');
    await stack.setFaults('erp', { dropResponseRate: 0 });
    const retried = await stack.query(mutation, { key: 'lost-answer-1' });
    expect(retried.errors).toBeUndefined();
    const after = await erpOrdersOf(stack, 'cust-520');
    expect(after.length - before.length).toBe(1);
    expect(after.map((order) => order.id)).toContain((retried.data?.placeOrder as { id: string }).id);
  });

  it('keeps exactly one order per key through 500 placeOrder calls with client retries under 30% faults', async () => {
    const customerId = 'cust-530';
    const before = await erpOrdersOf(stack, customerId);
    await stack.setFaults('erp', { errorRate: 0.15, dropResponseRate: 0.15 });
    const keys = Array.from({ length: 150 }, (_, i) => `soak-${process.pid}-${i}`);
    const placed = new Map<string, string>();
    let calls = 0;
    const mutation = `mutation($key: String!) { placeOrder(input: { customerId: "${customerId}", idempotencyKey: $key, lines: [{ sku: "SKU-0002", quantity: 1 }] }) { id } }`;
    const place = async (key: string) => {
      calls += 1;
      const answer = await stack.query(mutation, { key });
      const id = (answer.data?.placeOrder as { id: string } | null)?.id;
      if (id) {
        if (placed.has(key)) expect(placed.get(key)).toBe(id);
        placed.set(key, id);
      }
      return id;
    };
    // Ten clients at a time; each places its key until it succeeds, sometimes retrying anyway (a lost answer on its side).
    const queue = [...keys];
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        for (let key = queue.shift(); key !== undefined; key = queue.shift()) {
          while (!(await place(key)));
          while (calls < 500 && Math.random() < 0.7) await place(key);
        }
      }),
    );
    while (calls < 500) await place(keys[calls % keys.length] as string);
    await stack.setFaults('erp', { errorRate: 0, dropResponseRate: 0 });

    expect(calls).toBeGreaterThanOrEqual(500);
    expect(placed.size).toBe(keys.length);
    expect(new Set(placed.values()).size).toBe(keys.length);
    const after = await erpOrdersOf(stack, customerId);
    expect(after.length - before.length).toBe(keys.length);
  });

  it('opens the circuit under a full outage, fails fast with the field null and pathed, and recovers by itself', async () => {
    await stack.setFaults('helpdesk', { down: true });
    // Trip the breaker: every attempt of these reads fails.
    for (let i = 0; i < 4; i += 1) await stack.query(PROFILE, { id: `cust-${540 + i}` });
    const ready = await fetch(stack.subgraphUrls['support-tickets']?.replace('/graphql', '/ready') as string);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'not ready', reason: expect.stringContaining('helpdesk circuit open') });

    const { ms, value } = await timed(() => stack.query(PROFILE, { id: 'cust-550' }));
    expect(ms).toBeLessThan(200);
    expect((value.data?.customer as Profile).supportTickets).toBeNull();
    expect(value.errors).toEqual([
      expect.objectContaining({ message: 'helpdesk is unavailable (circuit open); try again later', path: ['customer', 'supportTickets'] }),
    ]);

    await stack.setFaults('helpdesk', { down: false });
    await new Promise((resolve) => setTimeout(resolve, 600));
    const recovered = await stack.query(PROFILE, { id: 'cust-551' });
    expect(recovered.errors).toBeUndefined();
    expect((await fetch(stack.subgraphUrls['support-tickets']?.replace('/graphql', '/ready') as string)).status).toBe(200);
  });

  it('serves the last good value, marked stale, while a backend is down', async () => {
    const fresh = await stack.query(PROFILE, { id: 'cust-560' });
    expect(fresh.errors).toBeUndefined();
    await stack.setFaults('preference-service', { down: true });
    const response = await fetch(stack.gatewayUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await stack.token({ role: 'service', scopes: 'customers:read preferences:read' })}`,
      },
      body: JSON.stringify({ query: 'query($id: ID!) { customer(id: $id) { preferences { language } } }', variables: { id: 'cust-560' } }),
    });
    const body = (await response.json()) as { data: { customer: { preferences: unknown } }; errors?: unknown; extensions?: unknown };
    expect(body.errors).toBeUndefined();
    expect(body.data.customer.preferences).toEqual((fresh.data?.customer as Profile).preferences);
    expect(body.extensions).toEqual({ stale: { backends: ['preference service'] } });
  });

  it('keeps a flood against one slow backend from slowing the other fields', async () => {
    await stack.setFaults('erp', { latencyMs: 2_000 });
    const flood = Promise.all(
      Array.from({ length: 30 }, (_, i) => stack.query('query($id: ID!) { customer(id: $id) { orders { id } } }', { id: `cust-${600 + i}` })),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const other = stack.query('query($id: ID!) { customer(id: $id) { name preferences { language } } }', { id: 'cust-570' });
    // The other backends' fields do not wait behind the flood: answered while the ERP still holds every flooded call.
    const first = await Promise.race([other.then(() => 'other'), flood.then(() => 'flood')]);
    expect(first).toBe('other');
    expect((await other).errors).toBeUndefined();
    const flooded = await flood;
    // The bulkhead (4 in flight, 4 waiting) turned the excess away at once instead of queueing it behind the slow ERP.
    expect(flooded.some((answer) => JSON.stringify(answer.errors ?? []).includes('too many calls waiting'))).toBe(true);
  });
});

describe('reads under a 50% error rate', () => {
  let stack: Stack;
  beforeAll(async () => {
    // Enough attempts that a read fails only if 13 attempts in a row fail (1 in 8,192); the breaker sees calls, not attempts.
    stack = await startStack({ resilience: { retries: 12, backoffInitialMs: 5, backoffMaxMs: 40 } });
  });
  afterAll(() => stack?.stop());

  it('still answers every read through retries when half of the calls fail', async () => {
    await stack.setFaults('crm', { errorRate: 0.5 });
    await stack.resetCalls();
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => stack.query('query($id: ID!) { customer(id: $id) { id name } }', { id: `cust-${510 + i}` })),
    );
    expect(answers.map((answer) => answer.errors)).toEqual(Array(10).fill(undefined));
    // Retries happened: more CRM calls than reads.
    expect((await stack.calls()).crm?.total).toBeGreaterThan(1);
  });
});
