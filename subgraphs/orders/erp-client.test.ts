import { silentLogger } from '../../platform/log';
import { defaultResilience } from '../kit/resilience';
import { GraphQLError } from 'graphql';
import createErpServer from '../../legacy/erp/server';
import { seedAccountCurrencies, seedOrders, seedProducts, type ErpOrder } from '../../legacy/seed/orders';
import { startBackend, withLatency, type RunningBackend } from '../../test/support/legacy';
import { BackendContractError, BackendUnavailableError } from '../kit/errors';
import { SoapClient, SoapClientFault } from '../kit/soap-client';
import { ErpClient, OrderStateConflict, type Order } from './erp-client';

const DECIMAL = /^\d+\.\d{2}$/;
/** Cents as the decimal string the API promises, worked out here rather than with the code under test. */
const amount = (cents: number) => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;

describe('ErpClient against the ERP', () => {
  const products = seedProducts();
  const currencies = seedAccountCurrencies();
  const seeded = seedOrders(products, currencies);
  const seededOf = (customerId: string) => seeded.filter((o) => o.customerId === customerId);
  const [lamp, chair] = products as [(typeof products)[number], (typeof products)[number]];
  let erp: RunningBackend;
  let soap: SoapClient;
  let impatient: SoapClient;

  beforeAll(async () => {
    erp = await startBackend(createErpServer);
    // As ordersOverErp builds it: one SOAP client per process, a new adapter per request.
    soap = new SoapClient({
      backend: 'ERP',
      endpoint: `${erp.url}/erp`,
      connections: 4,
      resilience: { ...defaultResilience, timeoutMs: 5_000, retries: 0 },
      log: silentLogger,
    });
    impatient = new SoapClient({
      backend: 'ERP',
      endpoint: `${erp.url}/erp`,
      connections: 2,
      resilience: { ...defaultResilience, timeoutMs: 200, retries: 0 },
      log: silentLogger,
    });
  });
  afterAll(async () => {
    await soap.close();
    await impatient.close();
    await erp.stop();
  });
  beforeEach(() => erp.restore());

  const calls = () => erp.backend.stats.toJSON();
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('expected a failure');
      },
      (error: unknown) => error,
    );

  describe('mapping', () => {
    // A seeded card payment with several lines: the richest shape the ERP has.
    const sample = seeded.find((o) => o.payment.method === 'CARD' && o.payment.cardNumber?.startsWith('4') && o.lines.length >= 3) as ErpOrder;

    it('maps an order with money as exact decimal strings and the card reduced to brand and last four digits', async () => {
      const order = (await new ErpClient(soap).order(sample.orderId)) as Order;
      const cents = sample.lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0);
      const money = (c: number) => ({ amount: amount(c), currency: sample.currency });
      expect(order).toEqual({
        id: sample.orderId,
        customerId: sample.customerId,
        status: sample.status,
        placedAt: sample.placedAt,
        total: money(cents),
        lines: sample.lines.map((line) => ({
          lineNumber: line.lineNumber,
          sku: line.sku,
          description: line.description,
          quantity: line.quantity,
          unitPrice: money(line.unitPriceCents),
          amount: money(line.quantity * line.unitPriceCents),
        })),
        payment: { status: sample.payment.status, method: 'CARD', cardBrand: 'VISA', cardLast4: sample.payment.cardNumber?.slice(-4) },
        paymentReference: null,
        statusReason: null,
        externalReference: null,
      });
      expect(order.placedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      expect(JSON.stringify(order)).not.toContain(sample.payment.cardNumber as string);
    });

    it('names the brand of every seeded card and keeps no full number anywhere', async () => {
      const customers = ['cust-1', 'cust-2', 'cust-3', 'cust-4', 'cust-5', 'cust-6', 'cust-7', 'cust-8', 'cust-9', 'cust-10'];
      const client = new ErpClient(soap);
      const orders = (await Promise.all(customers.map((id) => client.ordersOf(id)))).flat();
      const cards = orders.filter((o) => o.payment.method === 'CARD');
      expect(cards.length).toBeGreaterThan(5);
      for (const order of cards) {
        expect(['VISA', 'MASTERCARD', 'AMEX', 'DISCOVER']).toContain(order.payment.cardBrand);
        expect(order.payment.cardLast4).toMatch(/^\d{4}$/);
      }
      for (const order of orders.filter((o) => o.payment.method === 'INVOICE')) expect(order.payment).toMatchObject({ cardBrand: null, cardLast4: null });
      expect(JSON.stringify(orders)).not.toMatch(/\d{12}/);
      for (const order of orders) {
        expect(order.total.amount).toMatch(DECIMAL);
        expect(typeof order.placedAt).toBe('string');
      }
    });

    it('maps an order with a single line as a list of one', async () => {
      const single = seeded.find((o) => o.lines.length === 1) as ErpOrder;
      const order = await new ErpClient(soap).order(single.orderId);
      expect(order?.lines).toHaveLength(1);
      expect(order?.lines[0]?.sku).toBe(single.lines[0]?.sku);
    });
  });

  describe('batching', () => {
    it('loads the orders of many customers asked for in the same tick with one call, most recent first', async () => {
      const client = new ErpClient(soap);
      const ids = Array.from({ length: 40 }, (_, i) => `cust-${i + 1}`);
      const lists = await Promise.all(ids.map((id) => client.ordersOf(id)));
      lists.forEach((orders, i) => {
        const id = ids[i] as string;
        expect(orders.map((o) => o.id).sort()).toEqual(
          seededOf(id)
            .map((o) => o.orderId)
            .sort(),
        );
        expect(orders.every((o) => o.customerId === id)).toBe(true);
        expect(orders.map((o) => o.placedAt)).toEqual(
          orders
            .map((o) => o.placedAt)
            .sort()
            .reverse(),
        );
      });
      expect(await erp.stats()).toEqual({ total: 1, calls: { GetOrdersByCustomerIds: 1 } });
    });

    it('loads many orders by id in the same tick with one call, and reuses orders it already has', async () => {
      const client = new ErpClient(soap);
      const ids = ['ord-10', 'ord-20', 'ord-30', 'ord-40', 'ord-10'];
      const orders = await Promise.all(ids.map((id) => client.order(id)));
      expect(orders.map((o) => o?.id)).toEqual(ids);
      expect(calls()).toEqual({ total: 1, calls: { GetOrdersByIds: 1 } });
      // Orders that came with a customer's list are primed for by-id lookups.
      const [first] = await client.ordersOf('cust-3');
      expect(await client.order(first?.id as string)).toBe(first);
      expect(calls()).toEqual({ total: 2, calls: { GetOrdersByCustomerIds: 1, GetOrdersByIds: 1 } });
    });

    it('splits more than 100 customers into batches the ERP accepts', async () => {
      const client = new ErpClient(soap);
      const lists = await Promise.all(Array.from({ length: 120 }, (_, i) => client.ordersOf(`cust-${i + 1}`)));
      expect(lists.flat()).toHaveLength(seeded.filter((o) => Number(o.customerId.slice(5)) <= 120).length);
      expect(calls()).toEqual({ total: 2, calls: { GetOrdersByCustomerIds: 2 } });
    });

    it('answers an empty list and null for what the ERP does not know', async () => {
      const client = new ErpClient(soap);
      const [none, missing, known] = await Promise.all([client.ordersOf('cust-424242'), client.order('ord-999999'), client.order('ord-1')]);
      expect(none).toEqual([]);
      expect(missing).toBeNull();
      expect(known?.id).toBe('ord-1');
      expect(calls()).toEqual({ total: 2, calls: { GetOrdersByCustomerIds: 1, GetOrdersByIds: 1 } });
    });
  });

  describe('placeOrder', () => {
    it('places an order under the idempotency key, a repeat returns the same order, another order under it is IDEMPOTENCY_KEY_REUSED', async () => {
      const first = await new ErpClient(soap).placeOrder({
        customerId: 'cust-50',
        idempotencyKey: 'adapter-once',
        lines: [
          { sku: lamp.sku, quantity: 2 },
          { sku: chair.sku, quantity: 1 },
        ],
      });
      const cents = 2 * lamp.unitPriceCents + chair.unitPriceCents;
      expect(first).toMatchObject({
        id: expect.stringMatching(/^ord-\d+$/),
        customerId: 'cust-50',
        status: 'PLACED',
        total: { amount: amount(cents), currency: currencies.get('cust-50') },
        payment: { status: 'PENDING', method: 'INVOICE', cardBrand: null, cardLast4: null },
      });
      expect(first.lines.map((l) => [l.sku, l.quantity])).toEqual([
        [lamp.sku, 2],
        [chair.sku, 1],
      ]);

      const again = await new ErpClient(soap).placeOrder({
        customerId: 'cust-50',
        idempotencyKey: 'adapter-once',
        lines: [
          { sku: lamp.sku, quantity: 2 },
          { sku: chair.sku, quantity: 1 },
        ],
      });
      expect(again).toEqual(first);
      const other = new ErpClient(soap).placeOrder({ customerId: 'cust-50', idempotencyKey: 'adapter-once', lines: [{ sku: chair.sku, quantity: 9 }] });
      await expect(other).rejects.toMatchObject({ extensions: { code: 'IDEMPOTENCY_KEY_REUSED' } });
      const orders = await new ErpClient(soap).ordersOf('cust-50');
      expect(orders.filter((o) => o.id === first.id)).toHaveLength(1);
      expect(orders).toHaveLength(seededOf('cust-50').length + 1);
      expect(calls()).toEqual({ total: 4, calls: { GetOrdersByCustomerIds: 1, PlaceOrder: 3 } });
    });

    it('shows the new order in the same request, although the customer’s orders were loaded before', async () => {
      const client = new ErpClient(soap);
      const before = await client.ordersOf('cust-51');
      const placed = await client.placeOrder({ customerId: 'cust-51', idempotencyKey: 'adapter-fresh', lines: [{ sku: lamp.sku, quantity: 1 }] });
      const after = await client.ordersOf('cust-51');
      expect(after).toHaveLength(before.length + 1);
      expect(after.map((o) => o.id)).toContain(placed.id);
      expect(await client.order(placed.id)).toEqual(placed);
    });

    it.each([
      ['an unknown customer', { customerId: 'cust-5000', lines: [{ sku: 'SKU-0001', quantity: 1 }] }, 'input.customerId'],
      ['an unknown product', { customerId: 'cust-52', lines: [{ sku: 'SKU-4040', quantity: 1 }] }, 'input.lines'],
      ['a quantity over 999', { customerId: 'cust-52', lines: [{ sku: 'SKU-0001', quantity: 1000 }] }, 'input.lines'],
    ])('reports %s as BAD_USER_INPUT, and books nothing', async (refusal, order, argumentName) => {
      const error = await failure(new ErpClient(soap).placeOrder({ ...order, idempotencyKey: `adapter-refused-${refusal}` }));
      expect(error).toBeInstanceOf(GraphQLError);
      expect(error).not.toBeInstanceOf(SoapClientFault);
      expect((error as GraphQLError).extensions).toEqual({ code: 'BAD_USER_INPUT', argumentName });
      expect((error as GraphQLError).message).not.toMatch(/soap|http|Fault/i);
      expect(await new ErpClient(soap).ordersOf('cust-52')).toHaveLength(seededOf('cust-52').length);
    });

    it('reports any other refusal as BACKEND_ERROR', async () => {
      const error = await failure(new ErpClient(soap).placeOrder({ customerId: 'cust-52', idempotencyKey: 'adapter-empty', lines: [] }));
      expect(error).toBeInstanceOf(SoapClientFault);
      expect(error).toBeInstanceOf(BackendContractError);
      expect((error as SoapClientFault).faultCode).toBe('INVALID_REQUEST');
      expect((error as GraphQLError).extensions.code).toBe('BACKEND_ERROR');
    });
  });

  describe('card orders and expected totals', () => {
    it('places a card order as PENDING_PAYMENT, with no card, reference or reason yet', async () => {
      const placed = await new ErpClient(soap).placeOrder({
        customerId: 'cust-60',
        idempotencyKey: 'adapter-card',
        lines: [{ sku: lamp.sku, quantity: 1 }],
        paymentMethod: 'CARD',
        expectedTotal: amount(lamp.unitPriceCents),
      });
      expect(placed).toMatchObject({
        status: 'PENDING_PAYMENT',
        total: { amount: amount(lamp.unitPriceCents) },
        payment: { status: 'PENDING', method: 'CARD', cardBrand: null, cardLast4: null },
        paymentReference: null,
        statusReason: null,
      });
      const invoiced = await new ErpClient(soap).placeOrder({
        customerId: 'cust-60',
        idempotencyKey: 'adapter-invoice',
        lines: [{ sku: lamp.sku, quantity: 1 }],
        paymentMethod: 'INVOICE',
      });
      expect(invoiced).toMatchObject({ status: 'PLACED', payment: { method: 'INVOICE' } });
    });

    it('reports another payment method under a used key as IDEMPOTENCY_KEY_REUSED', async () => {
      const order = { customerId: 'cust-61', idempotencyKey: 'adapter-card-once', lines: [{ sku: chair.sku, quantity: 1 }] };
      const first = await new ErpClient(soap).placeOrder({ ...order, paymentMethod: 'CARD' });
      expect(await new ErpClient(soap).placeOrder({ ...order, paymentMethod: 'CARD' })).toEqual(first);
      await expect(new ErpClient(soap).placeOrder(order)).rejects.toMatchObject({ extensions: { code: 'IDEMPOTENCY_KEY_REUSED' } });
    });

    it('reports an expected total that is not the order’s as BAD_USER_INPUT giving the total, and books nothing', async () => {
      const error = await failure(
        new ErpClient(soap).placeOrder({
          customerId: 'cust-62',
          idempotencyKey: 'adapter-mismatch',
          lines: [{ sku: chair.sku, quantity: 2 }],
          paymentMethod: 'CARD',
          expectedTotal: amount(2 * chair.unitPriceCents - 1),
        }),
      );
      expect(error).toBeInstanceOf(GraphQLError);
      expect(error).not.toBeInstanceOf(SoapClientFault);
      expect((error as GraphQLError).message).toBe(`input.expectedTotal does not match the order's total, ${amount(2 * chair.unitPriceCents)}`);
      expect((error as GraphQLError).extensions).toEqual({ code: 'BAD_USER_INPUT', argumentName: 'input.expectedTotal' });
      expect(await new ErpClient(soap).ordersOf('cust-62')).toHaveLength(seededOf('cust-62').length);
    });
  });

  describe('confirmOrder and cancelOrder', () => {
    const pending = (key: string) =>
      new ErpClient(soap).placeOrder({ customerId: 'cust-70', idempotencyKey: key, lines: [{ sku: lamp.sku, quantity: 1 }], paymentMethod: 'CARD' });
    const seededIn = (status: ErpOrder['status']) => (seeded.find((o) => o.status === status) as ErpOrder).orderId;

    it('confirms with the payment reference, and a repeat answers the same order', async () => {
      const order = await pending('adapter-confirm');
      await erp.resetStats();
      const confirmed = await new ErpClient(soap).confirmOrder(order.id, 'pi_adapter');
      expect(confirmed).toEqual({ ...order, status: 'CONFIRMED', paymentReference: 'pi_adapter' });
      expect(await new ErpClient(soap).confirmOrder(order.id, 'pi_adapter')).toEqual(confirmed);
      expect(await new ErpClient(soap).confirmOrder(order.id, null)).toEqual(confirmed);
      expect(calls()).toEqual({ total: 3, calls: { ConfirmOrder: 3 } });
    });

    it('confirms without a payment reference', async () => {
      const order = await pending('adapter-confirm-bare');
      expect(await new ErpClient(soap).confirmOrder(order.id, null)).toEqual({ ...order, status: 'CONFIRMED', paymentReference: null });
    });

    it('fails a payment with its reason, and a repeat answers the same order', async () => {
      const order = await pending('adapter-fail');
      const failed = await new ErpClient(soap).cancelOrder(order.id, 'PAYMENT_FAILED', 'card_declined');
      expect(failed).toEqual({ ...order, status: 'PAYMENT_FAILED', statusReason: 'card_declined', payment: { ...order.payment, status: 'FAILED' } });
      expect(await new ErpClient(soap).cancelOrder(order.id, 'CANCELLED', 'again')).toEqual(failed);
    });

    it('shows the change in the same request, although the order and its customer’s orders were loaded before', async () => {
      const order = await pending('adapter-fresh-change');
      const client = new ErpClient(soap);
      expect((await client.order(order.id))?.status).toBe('PENDING_PAYMENT');
      expect((await client.ordersOf('cust-70')).find((o) => o.id === order.id)?.status).toBe('PENDING_PAYMENT');
      await erp.resetStats();
      const cancelled = await client.cancelOrder(order.id, 'CANCELLED', 'changed their mind');
      expect(await client.order(order.id)).toEqual(cancelled);
      expect((await client.ordersOf('cust-70')).find((o) => o.id === order.id)).toEqual(cancelled);
      expect(calls()).toEqual({ total: 2, calls: { CancelOrder: 1, GetOrdersByCustomerIds: 1 } });
    });

    it.each([
      ['confirming an unknown order', (client: ErpClient) => client.confirmOrder('ord-999999', 'pi_x'), 'ord-999999', 'UNKNOWN_ORDER'],
      ['cancelling an unknown order', (client: ErpClient) => client.cancelOrder('ord-999999', 'CANCELLED', 'x'), 'ord-999999', 'UNKNOWN_ORDER'],
      ['confirming a cancelled order', (client: ErpClient) => client.confirmOrder(seededIn('CANCELLED'), 'pi_x'), seededIn('CANCELLED'), 'ORDER_CLOSED'],
      ['cancelling a shipped order', (client: ErpClient) => client.cancelOrder(seededIn('SHIPPED'), 'CANCELLED', 'x'), seededIn('SHIPPED'), 'NOT_CANCELLABLE'],
    ])('reports %s as an OrderStateConflict, a failure for good', async (_case, change, orderId, faultCode) => {
      const error = await failure(change(new ErpClient(soap)));
      expect(error).toBeInstanceOf(OrderStateConflict);
      expect(error).not.toBeInstanceOf(GraphQLError);
      expect(error).toMatchObject({ orderId, faultCode });
      expect((error as Error).cause).toBeInstanceOf(SoapClientFault);
    });

    it('reports a refusal of the request itself as BACKEND_ERROR', async () => {
      const order = await pending('adapter-cancel-long');
      const error = await failure(new ErpClient(soap).cancelOrder(order.id, 'CANCELLED', 'r'.repeat(201)));
      expect(error).toBeInstanceOf(SoapClientFault);
      expect((error as SoapClientFault).faultCode).toBe('INVALID_REQUEST');
      expect((error as GraphQLError).extensions.code).toBe('BACKEND_ERROR');
    });
  });

  describe('ordersInStatus', () => {
    const oldestFirst = (status: ErpOrder['status']) => seeded.filter((o) => o.status === status).sort((a, b) => a.placedAt.localeCompare(b.placedAt));

    it('lists the orders in a status placed before a time, oldest first, as many as asked, primed for by-id loads', async () => {
      const before = new Date('2019-06-01T00:00:00Z');
      const expected = oldestFirst('DELIVERED').filter((o) => Date.parse(o.placedAt) < before.getTime());
      expect(expected.length).toBeGreaterThan(5);
      const client = new ErpClient(soap);
      const listed = await client.ordersInStatus('DELIVERED', before, 5);
      expect(listed.map((o) => o.id)).toEqual(expected.slice(0, 5).map((o) => o.orderId));
      expect(listed.every((o) => o.status === 'DELIVERED')).toBe(true);
      expect(await client.order(listed[0]?.id as string)).toBe(listed[0]);
      expect((await client.ordersInStatus('DELIVERED', before)).map((o) => o.id)).toEqual(expected.map((o) => o.orderId));
      expect(calls()).toEqual({ total: 2, calls: { GetOrdersByStatus: 2 } });
    });

    it('lists card orders waiting for their payment, in the order they were placed', async () => {
      const mine: string[] = [];
      for (const n of [1, 2, 3]) {
        const placed = await new ErpClient(soap).placeOrder({
          customerId: 'cust-71',
          idempotencyKey: `adapter-waiting-${n}`,
          lines: [{ sku: lamp.sku, quantity: n }],
          paymentMethod: 'CARD',
        });
        mine.push(placed.id);
      }
      const waiting = await new ErpClient(soap).ordersInStatus('PENDING_PAYMENT');
      expect(waiting.map((o) => o.id).filter((id) => mine.includes(id))).toEqual(mine);
      await new ErpClient(soap).confirmOrder(mine[0] as string, 'pi_waiting');
      expect((await new ErpClient(soap).ordersInStatus('PENDING_PAYMENT')).map((o) => o.id)).not.toContain(mine[0]);
      expect((await new ErpClient(soap).ordersInStatus('CONFIRMED')).map((o) => o.id)).toContain(mine[0]);
    });

    it('answers an empty list when no order is in the status', async () => {
      expect(await new ErpClient(soap).ordersInStatus('SHIPPED', new Date('2000-01-01T00:00:00Z'))).toEqual([]);
    });

    it('reports a limit over 500 as BACKEND_ERROR', async () => {
      const error = await failure(new ErpClient(soap).ordersInStatus('PLACED', undefined, 501));
      expect((error as SoapClientFault).faultCode).toBe('INVALID_REQUEST');
    });
  });

  describe('orderChanges', () => {
    const advance = (orderId: string) => fetch(`${erp.url}/_admin/orders/${orderId}/advance`, { method: 'POST' });

    it('reads the change feed after a change number: each booking and status change, numbered, with its customer', async () => {
      const client = new ErpClient(soap);
      const { last: before } = await client.orderChanges(0, 1);
      const placed = await client.placeOrder({ customerId: 'cust-60', idempotencyKey: 'adapter-feed', lines: [{ sku: lamp.sku, quantity: 1 }] });
      expect((await advance(placed.id)).status).toBe(200);
      const page = await new ErpClient(soap).orderChanges(before, 500);
      expect(page).toEqual({
        changes: [
          { changeNumber: before + 1, orderId: placed.id, customerId: 'cust-60', status: 'PLACED', changedAt: expect.any(String) },
          { changeNumber: before + 2, orderId: placed.id, customerId: 'cust-60', status: 'SHIPPED', changedAt: expect.any(String) },
        ],
        more: false,
        last: before + 2,
      });
      expect(Date.parse(page.changes[1]?.changedAt as string)).toBeGreaterThanOrEqual(Date.parse(page.changes[0]?.changedAt as string));
      expect(calls()).toEqual({ total: 3, calls: { GetOrderChanges: 2, PlaceOrder: 1 } });
    });

    it('pages: one change at a time says more follow, and after the last there is nothing', async () => {
      const client = new ErpClient(soap);
      const { last } = await client.orderChanges(0, 1);
      expect(last).toBeGreaterThan(1);
      expect(await client.orderChanges(last - 2, 1)).toEqual({ changes: [expect.objectContaining({ changeNumber: last - 1 })], more: true, last });
      expect(await client.orderChanges(last, 100)).toEqual({ changes: [], more: false, last });
    });

    it('reports a page over 500 as the ERP refused it', async () => {
      const error = await failure(new ErpClient(soap).orderChanges(0, 501));
      expect((error as SoapClientFault).faultCode).toBe('INVALID_REQUEST');
    });
  });

  describe('when the ERP fails', () => {
    const expectUnavailable = (error: unknown) => {
      expect(error).toBeInstanceOf(BackendUnavailableError);
      const { message, extensions } = error as BackendUnavailableError;
      expect(extensions.code).toBe('BACKEND_UNAVAILABLE');
      expect(message).toMatch(/^ERP is unavailable( \(timed out\))?; try again later$/);
      expect(message).not.toContain(erp.url);
      expect(message).not.toMatch(/127\.0\.0\.1|http|Fault|injected/i);
    };
    const everyRead = async (client: ErpClient) => {
      const [list, one] = await Promise.allSettled([client.ordersOf('cust-1'), client.order('ord-1')]);
      expectUnavailable((list as PromiseRejectedResult).reason);
      expectUnavailable((one as PromiseRejectedResult).reason);
      expectUnavailable(
        await failure(client.placeOrder({ customerId: 'cust-1', idempotencyKey: 'adapter-while-failing', lines: [{ sku: 'SKU-0001', quantity: 1 }] })),
      );
      expectUnavailable(await failure(client.confirmOrder('ord-1', 'pi_while_failing')));
      expectUnavailable(await failure(client.cancelOrder('ord-1', 'CANCELLED', 'while failing')));
      expectUnavailable(await failure(client.ordersInStatus('PLACED')));
    };

    it.each([
      ['answers a SOAP Server fault', { errorRate: 1 }],
      ['is down', { down: true }],
    ])('reports BACKEND_UNAVAILABLE when it %s', async (_case, faults) => {
      await new ErpClient(soap).order('ord-1'); // the WSDL is loaded: the operations themselves fail
      await erp.setFaults(faults);
      await everyRead(new ErpClient(soap));
      await erp.setFaults({ errorRate: 0, down: false });
      // Nothing was booked or changed while failing.
      expect(await new ErpClient(soap).order('ord-1')).toMatchObject({ id: 'ord-1', status: seeded[0]?.status, statusReason: null });
      expect((await new ErpClient(soap).ordersOf('cust-1')).length).toBe(seededOf('cust-1').length);
    });

    it('reports BACKEND_UNAVAILABLE when the WSDL cannot be read, and reads it again once the ERP is back', async () => {
      const cold = new SoapClient({
        backend: 'ERP',
        endpoint: `${erp.url}/erp`,
        connections: 1,
        resilience: { ...defaultResilience, timeoutMs: 5_000, retries: 0 },
        log: silentLogger,
      });
      try {
        await erp.setFaults({ down: true });
        await everyRead(new ErpClient(cold));
        await erp.setFaults({ down: false, errorRate: 1 });
        expectUnavailable(await failure(new ErpClient(cold).order('ord-1')));
        await erp.setFaults({ errorRate: 0 });
        expect((await new ErpClient(cold).order('ord-1'))?.id).toBe('ord-1');
      } finally {
        await cold.close();
      }
    });

    it('reports BACKEND_UNAVAILABLE as soon as the timeout passes when the ERP is slow', async () => {
      await new ErpClient(impatient).order('ord-1');
      const { outcome, elapsedMs } = await withLatency(erp, 600, () => new ErpClient(impatient).ordersOf('cust-1'));
      expect(outcome.status).toBe('rejected');
      expectUnavailable((outcome as PromiseRejectedResult).reason);
      expect(elapsedMs).toBeGreaterThanOrEqual(150);
      expect(elapsedMs).toBeLessThan(500);
    });
  });
});
