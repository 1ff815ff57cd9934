import { PROFILE_QUERY } from '../support/operations';
import { startStack, type Stack } from '../support/stack';

const FIFTY_CUSTOMERS = /* GraphQL */ `
  {
    customers(first: 50) {
      nodes {
        id
        orders {
          id
        }
        preferences {
          language
        }
        supportTickets {
          id
        }
      }
    }
  }
`;

interface Profile {
  id: string;
  name: string;
  orders: Array<{ id: string; placedAt: string; total: { amount: string; currency: string } }> | null;
  preferences: { language: string } | null;
  supportTickets: Array<{ id: string }> | null;
}

describe('Customer 360 through the gateway', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ resilience: { timeoutMs: 1_000, retries: 0, breakerMinRps: 1_000 } });
  });
  afterAll(() => stack?.stop());
  beforeEach(() => stack.resetCalls());

  it('answers the Profile query from all four backends with one business call each', async () => {
    const result = await stack.query(PROFILE_QUERY, { id: 'cust-1' });
    expect(result.status).toBe(200);
    expect(result.errors).toBeUndefined();
    const customer = result.data?.customer as Profile;
    expect(customer).toMatchObject({ id: 'cust-1', name: expect.any(String), email: expect.stringContaining('@'), tier: expect.any(String) });
    expect(customer.orders?.length).toBe(5);
    const placed = customer.orders?.map((o) => o.placedAt) ?? [];
    expect(placed).toEqual([...placed].sort().reverse());
    for (const order of customer.orders ?? []) expect(order.total.amount).toMatch(/^\d+\.\d{2}$/);
    expect(customer.preferences?.language).toMatch(/^[a-z]{2}/);
    expect(Array.isArray(customer.supportTickets)).toBe(true);
    expect(await stack.calls()).toEqual({
      crm: { total: 1, calls: { getCustomer: 1 } },
      erp: { total: 1, calls: { GetOrdersByCustomerIds: 1 } },
      'preference-service': { total: 1, calls: { getPreferences: 1 } },
      payments: { total: 0, calls: {} },
      helpdesk: { total: 1, calls: { GetTicketsByCustomerIds: 1 } },
    });
  });

  it('answers null for a customer that does not exist, without errors', async () => {
    const result = await stack.query(PROFILE_QUERY, { id: 'cust-424242' });
    expect(result).toEqual({ status: 200, data: { customer: null } });
  });

  it('loads 50 customers with orders, preferences and tickets in one call per backend (a naive resolver makes 150)', async () => {
    const result = await stack.query(FIFTY_CUSTOMERS);
    expect(result.errors).toBeUndefined();
    const nodes = (result.data?.customers as { nodes: Profile[] }).nodes;
    expect(nodes).toHaveLength(50);
    expect(nodes.every((n) => Array.isArray(n.orders) && n.preferences !== null && Array.isArray(n.supportTickets))).toBe(true);
    expect(nodes.reduce((sum, n) => sum + (n.orders?.length ?? 0), 0)).toBeGreaterThan(50);
    expect(await stack.calls()).toEqual({
      crm: { total: 1, calls: { listCustomers: 1 } },
      erp: { total: 1, calls: { GetOrdersByCustomerIds: 1 } },
      'preference-service': { total: 1, calls: { getPreferences: 1 } },
      payments: { total: 0, calls: {} },
      helpdesk: { total: 1, calls: { GetTicketsByCustomerIds: 1 } },
    });
  });

  describe('when a backend fails', () => {
    afterEach(() =>
      Promise.all((['crm', 'erp', 'preference-service', 'helpdesk'] as const).map((b) => stack.setFaults(b, { down: false, errorRate: 0, latencyMs: 0 }))),
    );

    it.each([
      ['erp', 'down', { down: true }, 'orders', 'cust-901'],
      ['erp', 'answering SOAP faults', { errorRate: 1 }, 'orders', 'cust-902'],
      ['helpdesk', 'down', { down: true }, 'supportTickets', 'cust-903'],
      ['preference-service', 'answering HTTP 500', { errorRate: 1 }, 'preferences', 'cust-904'],
      ['preference-service', 'slower than the timeout', { latencyMs: 2_000 }, 'preferences', 'cust-905'],
    ] as const)('serves the rest of the profile when the %s is %s, with an error pathed at the failed field', async (backend, _how, faults, field, id) => {
      // A customer read for the first time: no last good value to fall back on.
      await stack.setFaults(backend, faults);
      const result = await stack.query(PROFILE_QUERY, { id });
      expect(result.status).toBe(200);
      const customer = result.data?.customer as Record<string, unknown>;
      expect(customer.name).toEqual(expect.any(String));
      expect(customer[field]).toBeNull();
      for (const other of ['orders', 'preferences', 'supportTickets'].filter((f) => f !== field)) expect(customer[other]).not.toBeNull();
      expect(result.errors).toHaveLength(1);
      expect(result.errors?.[0]).toMatchObject({ path: ['customer', field], extensions: { code: 'BACKEND_UNAVAILABLE' } });
      const text = JSON.stringify(result.errors);
      expect(text).not.toMatch(/127\.0\.0\.1|http:\/\/|Envelope|stack|injected fault/i);
    });

    it('answers BACKEND_UNAVAILABLE for the customer itself when the CRM is down', async () => {
      await stack.setFaults('crm', { down: true });
      const result = await stack.query(PROFILE_QUERY, { id: 'cust-906' });
      expect(result.data).toEqual({ customer: null });
      expect(result.errors?.[0]).toMatchObject({ path: ['customer'], extensions: { code: 'BACKEND_UNAVAILABLE' } });
    });
  });
});
