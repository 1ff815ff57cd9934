import { silentLogger } from '../../platform/log';
import { asCaller, errorCodes, runOperation } from '../../test/support/operations';
import { viewer } from '../../test/support/viewers';
import { BackendUnavailableError, badUserInput } from '../kit/errors';
import { StaleMarks } from '../kit/last-good';
import type { NewOrder, Order, OrdersBackend } from './erp-client';
import { createOrdersSubgraph } from './server';

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
});

/** An in-memory order system that records what it was asked. */
class FakeOrders implements OrdersBackend {
  readonly asked: string[] = [];
  readonly placed: NewOrder[] = [];
  failing = false;
  private readonly orders = [order('ord-1', 'cust-1'), order('ord-2', 'cust-1'), order('ord-3', 'cust-2')];
  async ordersOf(customerId: string) {
    this.asked.push(`ordersOf:${customerId}`);
    if (this.failing) throw new BackendUnavailableError('ERP');
    return this.orders.filter((o) => o.customerId === customerId);
  }
  async order(id: string) {
    this.asked.push(`order:${id}`);
    return this.orders.find((o) => o.id === id) ?? null;
  }
  async placeOrder(input: NewOrder) {
    this.asked.push(`placeOrder:${input.customerId}`);
    if (input.customerId === 'cust-404') throw badUserInput('input.customerId names no customer', 'input.customerId');
    this.placed.push(input);
    return order(`ord-${100 + this.placed.length}`, input.customerId);
  }
}

describe('orders subgraph', () => {
  let backend: FakeOrders;
  let subgraph: ReturnType<typeof createOrdersSubgraph>;
  beforeEach(() => {
    backend = new FakeOrders();
    subgraph = createOrdersSubgraph({ newBackend: () => backend, log: silentLogger });
  });
  const run = (query: string, variables?: Record<string, unknown>, caller = viewer('service')) =>
    runOperation(subgraph.apollo, asCaller(subgraph.backends(new StaleMarks()), caller), query, variables);
  const place = (input: Record<string, unknown>, caller = viewer('service')) =>
    run('mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id customer { id } } }', { input }, caller);
  const good = { customerId: 'cust-1', idempotencyKey: 'k-1', lines: [{ sku: 'SKU-0001', quantity: 2 }] };

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
    expect(sdl).toContain('placeOrder(');
  });

  it('refuses first outside 0 to 100 before calling the ERP', async () => {
    const result = await run('query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { orders(first: 101) { id } } } }', {
      r: [{ __typename: 'Customer', id: 'cust-1' }],
    });
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
  });

  it('places an order and answers a repeat of the same key with the same order, placing nothing new', async () => {
    const first = await place(good);
    const again = await place(good);
    expect(first.errors).toBeUndefined();
    expect(again.data).toEqual(first.data);
    expect(backend.placed).toHaveLength(1);
    // The ERP gets a reference derived from client and key, never the bare key.
    expect(backend.placed[0]?.idempotencyKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('refuses the same key for a different order with IDEMPOTENCY_KEY_REUSED', async () => {
    await place(good);
    const other = await place({ ...good, lines: [{ sku: 'SKU-0002', quantity: 1 }] });
    expect(errorCodes(other)).toEqual(['IDEMPOTENCY_KEY_REUSED']);
    expect(backend.placed).toHaveLength(1);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['no lines', { lines: [] }, 'input.lines'],
    ['a negative quantity', { lines: [{ sku: 'SKU-0001', quantity: -1 }] }, 'input.lines[0].quantity'],
    ['an empty SKU', { lines: [{ sku: ' ', quantity: 1 }] }, 'input.lines[0].sku'],
    ['a key with spaces', { idempotencyKey: 'two words' }, 'input.idempotencyKey'],
  ])('refuses %s with BAD_USER_INPUT naming the field, and places nothing', async (_case, change, argumentName) => {
    const result = await place({ ...good, ...change });
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors?.[0]?.extensions?.argumentName).toBe(argumentName);
    expect(backend.asked).toEqual([]);
  });

  it('refuses an unknown customer with BAD_USER_INPUT', async () => {
    expect(errorCodes(await place({ ...good, customerId: 'cust-404' }))).toEqual(['BAD_USER_INPUT']);
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
});
