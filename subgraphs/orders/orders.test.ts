import DataLoader from 'dataloader';
import { asCaller, errorCodes, requestScope, runOperation } from '../../test/support/operations';
import { viewer } from '../../test/support/viewers';
import { subgraphOverAdapters, type Subgraph } from '../kit/build-subgraph';
import { BackendUnavailableError, badUserInput } from '../kit/errors';
import type { NewOrder, Order, OrdersBackend } from './erp-client';
import { PaymentReads } from './payments/payment-reads';
import type { OrderPlacing } from './payments/placement';
import type { OrdersContext } from './resolvers';
import declaration from './subgraph';

const order = (id: string, customerId: string): Order => ({
  id,
  customerId,
  status: 'PLACED',
  placedAt: '2024-05-01T12:00:00Z',
  total: { amount: '24.60', currency: 'EUR' },
  lines: [
    {
      lineNumber: 1,
      sku: 'SKU-0001',
      description: 'Lamp',
      quantity: 2,
      unitPrice: { amount: '12.30', currency: 'EUR' },
      amount: { amount: '24.60', currency: 'EUR' },
    },
  ],
  payment: { status: 'PAID', method: 'CARD', cardBrand: 'VISA', cardLast4: '4242' },
  paymentReference: null,
  statusReason: null,
  externalReference: null,
});

/** An invoice order: no card at all. */
const invoiced: Order = { ...order('ord-4', 'cust-3'), payment: { status: 'PENDING', method: 'INVOICE', cardBrand: null, cardLast4: null } };

/**
 * An in-memory order system that records what it was asked. Reads are grouped per tick like the real adapter's
 * DataLoaders, so `batches` shows how many ERP calls a request would cost.
 */
class FakeOrders implements OrdersBackend {
  readonly asked: string[] = [];
  readonly batches: string[][] = [];
  readonly placed: NewOrder[] = [];
  failing = false;
  /** When set, every call fails with it: an error no one planned for. */
  unexpected?: Error;
  private readonly orders = [order('ord-1', 'cust-1'), order('ord-2', 'cust-1'), order('ord-3', 'cust-2'), invoiced];
  // Batching only, no caching: one fake serves every request of a test.
  private readonly byCustomer = new DataLoader<string, Order[]>(
    async (ids) => {
      this.record('ordersOf', ids);
      return ids.map((id) => this.orders.filter((o) => o.customerId === id));
    },
    { cache: false },
  );
  private readonly byId = new DataLoader<string, Order | null>(
    async (ids) => {
      this.record('order', ids);
      return ids.map((id) => this.orders.find((o) => o.id === id) ?? null);
    },
    { cache: false },
  );
  ordersOf(customerId: string) {
    return this.byCustomer.load(customerId);
  }
  order(id: string) {
    return this.byId.load(id);
  }
  async placeOrder(input: NewOrder) {
    this.asked.push(`placeOrder:${input.customerId}`);
    this.fail();
    if (input.customerId === 'cust-404') throw badUserInput('input.customerId names no customer', 'input.customerId');
    this.placed.push(input);
    return order(`ord-${100 + this.placed.length}`, input.customerId);
  }
  // No operation of the subgraph changes orders or lists them by status: such a call is recorded, and fails.
  confirmOrder(orderId: string) {
    return this.unplanned(`confirmOrder:${orderId}`);
  }
  cancelOrder(orderId: string) {
    return this.unplanned(`cancelOrder:${orderId}`);
  }
  ordersInStatus(status: Order['status']) {
    return this.unplanned(`ordersInStatus:${status}`);
  }
  private async unplanned(call: string): Promise<never> {
    this.asked.push(call);
    throw new Error(`unexpected ${call}`);
  }
  private record(operation: string, ids: readonly string[]) {
    const calls = ids.map((id) => `${operation}:${id}`);
    this.asked.push(...calls);
    this.batches.push(calls);
    this.fail();
  }
  private fail() {
    if (this.unexpected) throw this.unexpected;
    if (this.failing) throw new BackendUnavailableError('ERP');
  }
}

/**
 * Placement straight into the fake, without a workflow: what these tests check is the resolver's side (input checks,
 * rules, errors). The workflow itself runs against the real ERP and provider in payments/place-order.test.ts.
 */
const directPlacement: OrderPlacing = {
  place: (_caller, idempotencyKey, { customerId, lines }, orders) => orders.placeOrder({ customerId, lines, idempotencyKey }),
};
/** Orders placed before payment workflows: no payment records. */
const noPaymentRecords = { byOrderIds: async () => [], steps: async () => [] };

describe('orders subgraph', () => {
  let backend: FakeOrders;
  let subgraph: Subgraph<OrdersContext>;
  beforeEach(() => {
    backend = new FakeOrders();
    subgraph = subgraphOverAdapters(declaration, () => ({ orders: backend, payments: new PaymentReads(noPaymentRecords), placement: directPlacement }));
  });
  const run = (query: string, variables?: Record<string, unknown>, caller = viewer('service')) =>
    runOperation(subgraph.server, asCaller(subgraph.backends(requestScope()), caller), query, variables);
  const place = (input: Record<string, unknown>, caller = viewer('service')) =>
    run('mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id customer { id } } }', { input }, caller);
  const good = { customerId: 'cust-1', idempotencyKey: 'k-1', lines: [{ sku: 'SKU-0001', quantity: 2 }] };
  const customerOrders = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { orders(first: 2) { id } } } }';
  const twoCustomers = [
    { __typename: 'Customer', id: 'cust-1' },
    { __typename: 'Customer', id: 'cust-2' },
  ];

  it('serves an order with money as decimal strings and the card as brand and last four only', async () => {
    const result = await run(
      '{ order(id: "ord-1") { id status total { amount currency } lines { sku quantity unitPrice { amount } amount { amount } } payment { method cardBrand cardLast4 } customer { id } } }',
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?.order).toEqual({
      id: 'ord-1',
      status: 'PLACED',
      total: { amount: '24.60', currency: 'EUR' },
      lines: [{ sku: 'SKU-0001', quantity: 2, unitPrice: { amount: '12.30' }, amount: { amount: '24.60' } }],
      payment: { method: 'CARD', cardBrand: 'VISA', cardLast4: '4242' },
      customer: { id: 'cust-1' },
    });
  });

  it('answers null for an unknown order', async () => {
    expect(await run('{ order(id: "ord-999") { id } }')).toEqual({ data: { order: null } });
  });

  it('adds orders to customers through _entities, cut to first', async () => {
    const result = await run('query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { id orders(first: 1) { id } } } }', {
      r: [
        { __typename: 'Customer', id: 'cust-1' },
        { __typename: 'Customer', id: 'cust-2' },
      ],
    });
    expect(result.data?._entities).toEqual([
      { id: 'cust-1', orders: [{ id: 'ord-1' }] },
      { id: 'cust-2', orders: [{ id: 'ord-3' }] },
    ]);
  });

  it('resolves Order entities through __resolveReference under the field rules', async () => {
    const result = await run('query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { id status } } }', {
      r: [{ __typename: 'Order', id: 'ord-3' }],
    });
    expect(result.data?._entities).toEqual([{ id: 'ord-3', status: 'PLACED' }]);
    expect(backend.asked).toEqual(['order:ord-3']);
  });

  it('serves its SDL through _service', async () => {
    const sdl = ((await run('{ _service { sdl } }')).data?._service as { sdl: string }).sdl;
    expect(sdl).toMatch(/type Order\s+@key\(fields: "id"\)/);
    expect(sdl).toMatch(/type Customer\s+@key\(fields: "id"\)/);
    expect(sdl).toContain('placeOrder(');
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['no lines', { lines: [] }, 'input.lines'],
    ['a negative quantity', { lines: [{ sku: 'SKU-0001', quantity: -1 }] }, 'input.lines[0].quantity'],
    ['an empty SKU', { lines: [{ sku: ' ', quantity: 1 }] }, 'input.lines[0].sku'],
    ['a key with spaces', { idempotencyKey: 'two words' }, 'input.idempotencyKey'],
    ['an empty key', { idempotencyKey: '' }, 'input.idempotencyKey'],
    ['a key over 100 characters', { idempotencyKey: 'k'.repeat(101) }, 'input.idempotencyKey'],
    ['a blank customer id', { customerId: '  ' }, 'input.customerId'],
    ['over 50 lines', { lines: Array.from({ length: 51 }, () => ({ sku: 'SKU-0001', quantity: 1 })) }, 'input.lines'],
    ['a zero quantity', { lines: [{ sku: 'SKU-0001', quantity: 0 }] }, 'input.lines[0].quantity'],
    [
      'a quantity over 999 on the second line',
      {
        lines: [
          { sku: 'SKU-0001', quantity: 1 },
          { sku: 'SKU-0002', quantity: 1000 },
        ],
      },
      'input.lines[1].quantity',
    ],
  ])('refuses %s with BAD_USER_INPUT naming the field, and places nothing', async (_case, change, argumentName) => {
    const result = await place({ ...good, ...change });
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors?.[0]?.extensions?.argumentName).toBe(argumentName);
    expect(result.errors?.[0]?.message).toContain(argumentName);
    expect(backend.asked).toEqual([]);
  });

  it('refuses an unknown customer with BAD_USER_INPUT', async () => {
    const result = await place({ ...good, customerId: 'cust-404' });
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors?.[0]).toMatchObject({ message: 'input.customerId names no customer', extensions: { argumentName: 'input.customerId' } });
    expect(backend.placed).toEqual([]);
  });

  it('lets a customer place orders for themselves only', async () => {
    expect((await place(good, viewer('customer', 'cust-1'))).errors).toBeUndefined();
    expect(errorCodes(await place({ ...good, customerId: 'cust-2', idempotencyKey: 'k-2' }, viewer('customer', 'cust-1')))).toEqual(['FORBIDDEN']);
    expect(backend.placed).toHaveLength(1);
  });

  it('hides payment without pii:read', async () => {
    const result = await run('{ order(id: "ord-1") { id payment { cardLast4 } } }', undefined, viewer('agent', 'agent-1', ['orders:read']));
    expect(result.data?.order).toEqual({ id: 'ord-1', payment: null });
    expect(errorCodes(result)).toEqual(['FORBIDDEN']);
  });

  it('turns an ERP outage into BACKEND_UNAVAILABLE without internals', async () => {
    backend.failing = true;
    const result = await run('query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { orders { id } } } }', {
      r: [{ __typename: 'Customer', id: 'cust-1' }],
    });
    expect(errorCodes(result)).toEqual(['BACKEND_UNAVAILABLE']);
    expect(JSON.stringify(result.errors)).not.toMatch(/stack|http:\/\//);
  });

  it('fetches the orders of several customers in one batched ERP call, cut to first', async () => {
    const result = await run(customerOrders, { r: [...twoCustomers, { __typename: 'Customer', id: 'cust-404' }] });
    expect(result.errors).toBeUndefined();
    expect(result.data?._entities).toEqual([{ orders: [{ id: 'ord-1' }, { id: 'ord-2' }] }, { orders: [{ id: 'ord-3' }] }, { orders: [] }]);
    expect(backend.batches).toEqual([['ordersOf:cust-1', 'ordersOf:cust-2', 'ordersOf:cust-404']]);
  });

  it('resolves several Order entities in one batched ERP call, null for an unknown id', async () => {
    const result = await run('query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { id customer { id } } } }', {
      r: ['ord-3', 'ord-999', 'ord-1'].map((id) => ({ __typename: 'Order', id })),
    });
    expect(result.errors).toBeUndefined();
    expect(result.data?._entities).toEqual([{ id: 'ord-3', customer: { id: 'cust-2' } }, null, { id: 'ord-1', customer: { id: 'cust-1' } }]);
    expect(backend.batches).toEqual([['order:ord-3', 'order:ord-999', 'order:ord-1']]);
  });

  it.each([-1, 101])('refuses orders(first: %d) with BAD_USER_INPUT naming first, before calling the ERP', async (first) => {
    const result = await run('query($r: [_Any!]!, $first: Int) { _entities(representations: $r) { ... on Customer { orders(first: $first) { id } } } }', {
      r: twoCustomers,
      first,
    });
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT', 'BAD_USER_INPUT']);
    expect(result.errors?.[0]).toMatchObject({ message: 'first must be a whole number from 0 to 100', extensions: { argumentName: 'first' } });
    expect(backend.asked).toEqual([]);
  });

  it('refuses a fractional quantity while coercing variables, before calling the ERP', async () => {
    const result = await place({ ...good, lines: [{ sku: 'SKU-0001', quantity: 1.5 }] });
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors?.[0]?.message).toMatch(/quantity/);
    expect(backend.asked).toEqual([]);
  });

  it('shows an invoice payment without any card detail, and has no field for a full card number', async () => {
    const invoice = await run('{ order(id: "ord-4") { total { amount } payment { status method cardBrand cardLast4 } } }');
    expect(invoice.data?.order).toEqual({ total: { amount: '24.60' }, payment: { status: 'PENDING', method: 'INVOICE', cardBrand: null, cardLast4: null } });
    const cardNumber = await run('{ order(id: "ord-1") { payment { cardNumber } } }');
    expect(errorCodes(cardNumber)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(backend.asked).toEqual(['order:ord-4']);
  });

  it('turns an ERP outage on placeOrder into BACKEND_UNAVAILABLE without internals', async () => {
    backend.failing = true;
    const failed = await place(good);
    expect(failed.data).toBeNull();
    expect(errorCodes(failed)).toEqual(['BACKEND_UNAVAILABLE']);
    expect(JSON.stringify(failed.errors)).not.toMatch(/stack|http:\/\//);
  });

  describe('its own limits, for requests that did not come through the gateway', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => ({ __typename: 'Customer', id: `cust-${i + 1}` }));

    it('refuses a nested _entities bomb by its coerced cost (sizes from variables, one entity per representation), before any ERP call', async () => {
      const bomb =
        'query($r: [_Any!]!, $n: Int) { _entities(representations: $r) { ... on Customer { orders(first: $n) { customer { orders(first: $n) { id } } } } } }';
      const result = await run(bomb, { r: hundred, n: 100 });
      expect(errorCodes(result)).toEqual(['COST_LIMIT_EXCEEDED']);
      expect(JSON.stringify(result)).not.toMatch(/\d{6,}/);
      expect(backend.asked).toEqual([]);
    });

    it('serves the largest fetch a gateway query plan sends for 100 customers with 100 orders each', async () => {
      const result = await run(
        'query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { orders(first: 100) { id total { amount } customer { id } } } } }',
        {
          r: hundred,
        },
      );
      expect(result.errors).toBeUndefined();
    });

    it('refuses a query deeper than its depth limit while validating', async () => {
      const deep = `{ order(id: "ord-1") { ${'customer { orders(first: 1) { '.repeat(12)}id${' } }'.repeat(12)} } }`;
      const result = await run(deep);
      expect(errorCodes(result)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect(backend.asked).toEqual([]);
    });
  });

  it('masks an unexpected error as INTERNAL_SERVER_ERROR, hiding its message', async () => {
    backend.unexpected = new Error('socket hang up at http://erp.internal:4103/erp');
    const result = await run('{ order(id: "ord-1") { id } }');
    expect(result.data).toEqual({ order: null });
    expect(errorCodes(result)).toEqual(['INTERNAL_SERVER_ERROR']);
    expect(result.errors?.[0]?.message).toMatch(/^Internal server error/);
    expect(JSON.stringify(result.errors)).not.toMatch(/socket|erp\.internal|stack/);
  });
});
