import { randomUUID } from 'node:crypto';
import { errorCodes } from '../support/operations';
import { startStack, type Stack } from '../support/stack';

const PLACE_ORDER = /* GraphQL */ `
  mutation Place($input: PlaceOrderInput!) {
    placeOrder(input: $input) {
      id
      status
      total {
        amount
        currency
      }
      lines {
        sku
        quantity
        unitPrice {
          amount
        }
        amount {
          amount
        }
      }
      customer {
        id
        name
      }
    }
  }
`;
const UPDATE_PREFERENCES = /* GraphQL */ `
  mutation Update($customerId: ID!, $input: PreferencesInput!) {
    updatePreferences(customerId: $customerId, input: $input) {
      language
      marketingOptIn
      channels
    }
  }
`;
const OPEN_TICKET = /* GraphQL */ `
  mutation Open($input: OpenSupportTicketInput!) {
    openSupportTicket(input: $input) {
      id
      subject
      status
      priority
      customer {
        id
      }
    }
  }
`;

describe('mutations through the gateway', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.stop());
  beforeEach(() => stack.resetCalls());

  describe('placeOrder', () => {
    const order = (overrides: Record<string, unknown> = {}) => ({
      customerId: 'cust-7',
      lines: [
        { sku: 'SKU-0001', quantity: 2 },
        { sku: 'SKU-0002', quantity: 1 },
      ],
      idempotencyKey: randomUUID(),
      ...overrides,
    });

    it('places an order that then shows first in the customer profile', async () => {
      const result = await stack.query(PLACE_ORDER, { input: order() });
      expect(result.errors).toBeUndefined();
      const placed = result.data?.placeOrder as {
        id: string;
        status: string;
        total: { amount: string };
        lines: Array<{ amount: { amount: string } }>;
        customer: { id: string; name: string };
      };
      expect(placed).toMatchObject({ status: 'PLACED', customer: { id: 'cust-7', name: expect.any(String) } });
      const sumOfLines = placed.lines.reduce((sum, line) => sum + Math.round(Number(line.amount.amount) * 100), 0);
      expect(Math.round(Number(placed.total.amount) * 100)).toBe(sumOfLines);
      const profile = await stack.query('{ customer(id: "cust-7") { orders(first: 1) { id } } }');
      expect(profile.data).toEqual({ customer: { orders: [{ id: placed.id }] } });
    });

    it('returns the first order and creates nothing new when the idempotency key is repeated', async () => {
      const input = order();
      const first = await stack.query(PLACE_ORDER, { input });
      const again = await stack.query(PLACE_ORDER, { input });
      expect(again.data).toEqual(first.data);
      const ids = await stack.query('{ customer(id: "cust-7") { orders(first: 100) { id } } }');
      const orderIds = (ids.data?.customer as { orders: Array<{ id: string }> }).orders.map((o) => o.id);
      expect(orderIds.filter((id) => id === (first.data?.placeOrder as { id: string }).id)).toHaveLength(1);
    });

    it.each([
      ['an unknown customer', { customerId: 'cust-999999' }, /customerId/],
      ['no lines', { lines: [] }, /input\.lines must have 1 to 50 lines/],
      ['a negative quantity', { lines: [{ sku: 'SKU-0001', quantity: -1 }] }, /quantity/],
      ['a zero quantity', { lines: [{ sku: 'SKU-0001', quantity: 0 }] }, /quantity/],
      ['an unknown product', { lines: [{ sku: 'SKU-9999', quantity: 1 }] }, /product/],
      ['an empty idempotency key', { idempotencyKey: '' }, /idempotencyKey/],
    ])('refuses %s with BAD_USER_INPUT and creates no order', async (_case, overrides, message) => {
      const input = order(overrides);
      const countOrders = async () => {
        const result = await stack.query('query($id: ID!) { customer(id: $id) { orders(first: 100) { id } } }', { id: input.customerId });
        return (result.data?.customer as { orders: unknown[] } | null)?.orders.length ?? 0;
      };
      const before = await countOrders();
      const result = await stack.query(PLACE_ORDER, { input });
      expect(result.data).toBeNull();
      expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
      expect(result.errors?.[0]?.message).toMatch(message);
      expect(await countOrders()).toBe(before);
    });

    it('refuses a missing idempotency key in validation, before any subgraph is called', async () => {
      const { idempotencyKey: _omitted, ...withoutKey } = order();
      const result = await stack.query(PLACE_ORDER, { input: withoutKey });
      expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
      expect((await stack.calls()).erp?.total).toBe(0);
    });
  });

  describe('updatePreferences', () => {
    it('changes only the fields given and the profile shows the new values', async () => {
      const before = await stack.query('{ customer(id: "cust-3") { preferences { language channels } } }');
      const result = await stack.query(UPDATE_PREFERENCES, { customerId: 'cust-3', input: { marketingOptIn: true } });
      expect(result.errors).toBeUndefined();
      const beforePreferences = (before.data?.customer as { preferences: { language: string; channels: string[] } }).preferences;
      expect(result.data?.updatePreferences).toEqual({ ...beforePreferences, marketingOptIn: true });
      const after = await stack.query('{ customer(id: "cust-3") { preferences { marketingOptIn } } }');
      expect(after.data).toEqual({ customer: { preferences: { marketingOptIn: true } } });
    });

    it('is safe to repeat', async () => {
      const input = { language: 'fr', channels: ['EMAIL', 'SMS'] };
      const first = await stack.query(UPDATE_PREFERENCES, { customerId: 'cust-4', input });
      const again = await stack.query(UPDATE_PREFERENCES, { customerId: 'cust-4', input });
      expect(again.data).toEqual(first.data);
    });

    it.each([
      ['an unknown customer', 'cust-999999', { language: 'en' }],
      ['a malformed language', 'cust-5', { language: 'english' }],
      ['a channel listed twice', 'cust-5', { channels: ['SMS', 'SMS'] }],
      ['an unknown channel', 'cust-5', { channels: ['FAX'] }],
      ['an empty input', 'cust-5', {}],
    ])('refuses %s with BAD_USER_INPUT and writes nothing', async (_case, customerId, input) => {
      const result = await stack.query(UPDATE_PREFERENCES, { customerId, input });
      expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
      expect((await stack.calls())['preference-service']?.calls.putPreferences).toBeUndefined();
    });
  });

  describe('openSupportTicket', () => {
    it('opens a ticket once per idempotency key', async () => {
      const input = { customerId: 'cust-8', subject: 'Parcel never arrived', priority: 'HIGH', idempotencyKey: randomUUID() };
      const first = await stack.query(OPEN_TICKET, { input });
      expect(first.errors).toBeUndefined();
      expect(first.data?.openSupportTicket).toMatchObject({ subject: 'Parcel never arrived', status: 'OPEN', priority: 'HIGH', customer: { id: 'cust-8' } });
      const again = await stack.query(OPEN_TICKET, { input });
      expect(again.data).toEqual(first.data);
      const tickets = await stack.query('{ customer(id: "cust-8") { supportTickets(status: OPEN) { id } } }');
      const ids = (tickets.data?.customer as { supportTickets: Array<{ id: string }> }).supportTickets.map((t) => t.id);
      expect(ids.filter((id) => id === (first.data?.openSupportTicket as { id: string }).id)).toHaveLength(1);
    });

    it.each([
      ['an unknown customer', { customerId: 'cust-999999', subject: 'Help' }],
      ['an empty subject', { customerId: 'cust-8', subject: '   ' }],
      ['an unknown priority', { customerId: 'cust-8', subject: 'Help', priority: 'SOMEDAY' }],
    ])('refuses %s with BAD_USER_INPUT and opens nothing', async (_case, input) => {
      const before = await stack.query('{ customer(id: "cust-8") { supportTickets { id } } }');
      const result = await stack.query(OPEN_TICKET, { input });
      expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
      const after = await stack.query('{ customer(id: "cust-8") { supportTickets { id } } }');
      expect(after.data).toEqual(before.data);
    });
  });
});
