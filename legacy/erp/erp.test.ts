import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatCents } from '../../platform/money';
import { silentLogger } from '../../platform/log';
import { noFaults } from '../kit/faults';
import { callSoap, elements, soapFaultOf, startBackend, text, type RunningBackend } from '../../test/support/legacy';
import { orderTotalCents, seedAccountCurrencies, seedOrders, seedProducts, type ErpOrder } from '../seed/orders';
import createErpServer from './server';

const NAMESPACE = 'urn:atrium:legacy:erp';

/** An order as read back from the wire, every value as the XML text. */
function readOrder(xml: string) {
  const payment = text(xml, 'Payment') ?? '';
  return {
    orderId: text(xml, 'OrderId'),
    customerId: text(xml, 'CustomerId'),
    externalReference: text(xml, 'ExternalReference'),
    status: text(xml, 'Status'),
    placedAt: text(xml, 'PlacedAt'),
    currency: text(xml, 'Currency'),
    total: text(xml, 'Total'),
    lines: elements(xml, 'Line').map((line) => ({
      lineNumber: text(line, 'LineNumber'),
      sku: text(line, 'Sku'),
      description: text(line, 'Description'),
      quantity: text(line, 'Quantity'),
      unitPrice: text(line, 'UnitPrice'),
    })),
    payment: { status: text(payment, 'Status'), method: text(payment, 'Method'), cardNumber: text(payment, 'CardNumber') },
    paymentReference: text(xml, 'PaymentReference'),
    statusReason: text(xml, 'StatusReason'),
  };
}

/** An order an answer carries, which always has its id. */
type WireOrder = ReturnType<typeof readOrder> & { orderId: string };

/** What the wire should carry for a seeded order. */
const onTheWire = (order: ErpOrder) => ({
  orderId: order.orderId,
  customerId: order.customerId,
  externalReference: order.externalReference,
  status: order.status,
  placedAt: order.placedAt,
  currency: order.currency,
  total: formatCents(orderTotalCents(order)),
  lines: order.lines.map((line) => ({
    lineNumber: String(line.lineNumber),
    sku: line.sku,
    description: line.description,
    quantity: String(line.quantity),
    unitPrice: formatCents(line.unitPriceCents),
  })),
  payment: { status: order.payment.status, method: order.payment.method, cardNumber: order.payment.cardNumber },
  paymentReference: order.paymentReference,
  statusReason: order.statusReason,
});

/** Runs `work` with a data folder of its own, removed afterwards. */
async function inFolder(work: (stateDir: string) => Promise<void>): Promise<void> {
  const stateDir = mkdtempSync(join(tmpdir(), 'atrium-erp-'));
  try {
    await work(stateDir);
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** An ERP over `stateDir`, as a restart over the same data folder sees it. */
const erpOver = (stateDir: string) => startBackend((options) => createErpServer({ ...options, stateDir }));

describe('ERP (SOAP)', () => {
  const products = seedProducts();
  const currencies = seedAccountCurrencies();
  const seeded = seedOrders(products, currencies);
  const seededOf = (customerId: string) => seeded.filter((o) => o.customerId === customerId).sort((a, b) => b.placedAt.localeCompare(a.placedAt));
  let erp: RunningBackend;

  beforeAll(async () => {
    erp = await startBackend(createErpServer);
  });
  afterAll(() => erp.stop());
  beforeEach(() => erp.restore());

  const desk = products[2] as (typeof products)[number];
  const lamp = products[0] as (typeof products)[number];
  const callAt = (backend: RunningBackend) => (operation: string, args: Record<string, unknown>) => callSoap(`${backend.url}/erp`, NAMESPACE, operation, args);
  const call = (operation: string, args: Record<string, unknown>) => callAt(erp)(operation, args);
  const ordersIn = (xml: string) => elements(xml, 'Order').map(readOrder);
  /** PlaceOrder; `extra` (PaymentMethod, ExpectedTotal) follows the lines, as the WSDL's sequence has it. */
  const place = (customerId: string, reference: string, lines: Array<{ Sku: string; Quantity: number | string }>, extra: Record<string, unknown> = {}) =>
    call('PlaceOrder', { CustomerId: customerId, ExternalReference: reference, Line: lines, ...extra });
  const confirm = (orderId: string, paymentReference?: string) =>
    call('ConfirmOrder', { OrderId: orderId, ...(paymentReference ? { PaymentReference: paymentReference } : {}) });
  const cancel = (orderId: string, outcome: string, reason: string) => call('CancelOrder', { OrderId: orderId, Outcome: outcome, Reason: reason });
  /** The one order an answer carries. */
  const onlyOrder = (xml: string): WireOrder => {
    const [order, ...more] = ordersIn(xml);
    expect(more).toEqual([]);
    expect(order?.orderId).toEqual(expect.any(String));
    return order as WireOrder;
  };
  /** A new card order awaiting its payment. */
  const pendingOrder = async (reference: string) =>
    onlyOrder((await place('cust-30', reference, [{ Sku: lamp.sku, Quantity: 1 }], { PaymentMethod: 'CARD' })).body);
  const seededIn = (status: string) => seeded.find((o) => o.status === status) as ErpOrder;

  it('serves its WSDL at ?wsdl with the address the client reached, uncounted', async () => {
    for (const query of ['?wsdl', '?WSDL']) {
      const response = await fetch(`${erp.url}/erp${query}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/xml/);
      const wsdl = await response.text();
      expect(wsdl).toContain(`targetNamespace="${NAMESPACE}"`);
      for (const operation of ['GetOrdersByCustomerIds', 'GetOrdersByIds', 'GetOrdersByStatus', 'PlaceOrder', 'ConfirmOrder', 'CancelOrder', 'GetOrderChanges'])
        expect(wsdl).toContain(`<operation name="${operation}">`);
      expect(wsdl).toContain(`<soap:address location="${erp.url}/erp"/>`);
      expect(wsdl).not.toContain('{{SOAP_ADDRESS}}');
    }
    expect(await erp.stats()).toEqual({ total: 0, calls: {} });
  });

  describe('GetOrdersByCustomerIds', () => {
    it('answers every order of the customers asked for, most recent first, with totals and full card numbers', async () => {
      const answer = await call('GetOrdersByCustomerIds', { CustomerId: ['cust-1', 'cust-2'] });
      expect(answer.status).toBe(200);
      expect(answer.contentType).toMatch(/^text\/xml/);
      const orders = ordersIn(answer.body);
      expect(orders.filter((o) => o.customerId === 'cust-1')).toEqual(seededOf('cust-1').map(onTheWire));
      expect(orders.filter((o) => o.customerId === 'cust-2')).toEqual(seededOf('cust-2').map(onTheWire));
      expect(orders).toHaveLength(seededOf('cust-1').length + seededOf('cust-2').length);
      expect(orders.some((o) => o.payment.cardNumber !== undefined && /^\d{15,16}$/.test(o.payment.cardNumber))).toBe(true);
      expect(await erp.stats()).toEqual({ total: 1, calls: { GetOrdersByCustomerIds: 1 } });
    });

    it('answers no orders for a customer it does not know', async () => {
      const answer = await call('GetOrdersByCustomerIds', { CustomerId: 'cust-99999' });
      expect(answer.status).toBe(200);
      expect(answer.body).toContain('GetOrdersByCustomerIdsResponse');
      expect(ordersIn(answer.body)).toEqual([]);
    });

    it.each([
      ['no customer id', {}],
      ['101 customer ids', { CustomerId: Array.from({ length: 101 }, (_, i) => `cust-${i + 1}`) }],
    ])('answers %s with a soap:Client fault', async (_case, args) => {
      const answer = await call('GetOrdersByCustomerIds', args);
      expect(answer.status).toBe(500);
      expect(soapFaultOf(answer.body)).toEqual({ faultcode: 'soap:Client', faultstring: expect.stringContaining('CustomerId'), code: 'INVALID_REQUEST' });
    });
  });

  it('answers an operation the WSDL does not have with a soap:Client fault, not a stack trace', async () => {
    const answer = await call('DeleteAllOrders', {});
    expect(answer.status).toBe(500);
    expect(soapFaultOf(answer.body)).toMatchObject({ faultcode: 'soap:Client' });
    expect(answer.body).not.toMatch(/\.js:\d+|node_modules/);
  });

  describe('GetOrdersByIds', () => {
    it('answers the known orders and leaves unknown ids out', async () => {
      const answer = await call('GetOrdersByIds', { OrderId: ['ord-1', 'ord-99999', 'ord-6000'] });
      expect(answer.status).toBe(200);
      expect(ordersIn(answer.body)).toEqual([onTheWire(seeded[0] as ErpOrder), onTheWire(seeded[5999] as ErpOrder)]);
      expect(await erp.stats()).toEqual({ total: 1, calls: { GetOrdersByIds: 1 } });
    });

    it('answers no order id with a soap:Client fault', async () => {
      const answer = await call('GetOrdersByIds', {});
      expect(answer.status).toBe(500);
      expect(soapFaultOf(answer.body)).toMatchObject({ faultcode: 'soap:Client', code: 'INVALID_REQUEST' });
    });
  });

  describe('PlaceOrder', () => {
    it('books a new order at catalogue prices in the account currency', async () => {
      const answer = await place('cust-20', 'erp-test-new', [
        { Sku: desk.sku, Quantity: 2 },
        { Sku: lamp.sku, Quantity: 1 },
      ]);
      expect(answer.status).toBe(200);
      expect(text(answer.body, 'Created')).toBe('true');
      const [order] = ordersIn(answer.body);
      expect(order).toEqual({
        orderId: expect.stringMatching(/^ord-\d+$/),
        customerId: 'cust-20',
        externalReference: 'erp-test-new',
        status: 'PLACED',
        placedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/),
        currency: currencies.get('cust-20'),
        total: formatCents(2 * desk.unitPriceCents + lamp.unitPriceCents),
        lines: [
          { lineNumber: '1', sku: desk.sku, description: desk.description, quantity: '2', unitPrice: formatCents(desk.unitPriceCents) },
          { lineNumber: '2', sku: lamp.sku, description: lamp.description, quantity: '1', unitPrice: formatCents(lamp.unitPriceCents) },
        ],
        payment: { status: 'PENDING', method: 'INVOICE', cardNumber: undefined },
        paymentReference: undefined,
        statusReason: undefined,
      });
      expect(seeded.some((o) => o.orderId === order?.orderId)).toBe(false);
      const byId = await call('GetOrdersByIds', { OrderId: order?.orderId });
      expect(ordersIn(byId.body)).toEqual([order]);
    });

    it('books an external reference once: a repeat answers the first order with Created=false', async () => {
      const first = await place('cust-21', 'erp-test-once', [{ Sku: lamp.sku, Quantity: 1 }]);
      const again = await place('cust-21', 'erp-test-once', [{ Sku: lamp.sku, Quantity: 1 }]);
      expect(text(first.body, 'Created')).toBe('true');
      expect(again.status).toBe(200);
      expect(text(again.body, 'Created')).toBe('false');
      expect(ordersIn(again.body)).toEqual(ordersIn(first.body));

      const list = ordersIn((await call('GetOrdersByCustomerIds', { CustomerId: 'cust-21' })).body);
      expect(list.filter((o) => o.externalReference === 'erp-test-once')).toHaveLength(1);
      expect(list).toHaveLength(seededOf('cust-21').length + 1);
      expect(await erp.stats()).toEqual({ total: 3, calls: { GetOrdersByCustomerIds: 1, PlaceOrder: 2 } });

      const other = await place('cust-21', 'erp-test-other', [{ Sku: lamp.sku, Quantity: 1 }]);
      expect(text(other.body, 'Created')).toBe('true');
      expect(text(other.body, 'OrderId')).not.toBe(text(first.body, 'OrderId'));
    });

    it.each([
      ['other lines', 'cust-21', [{ Sku: desk.sku, Quantity: 5 }]],
      ['another quantity', 'cust-21', [{ Sku: lamp.sku, Quantity: 2 }]],
      ['another customer', 'cust-24', [{ Sku: lamp.sku, Quantity: 1 }]],
    ])('refuses a used external reference for %s with a REFERENCE_REUSED Client fault, never the first order', async (_case, customerId, lines) => {
      const reference = `erp-test-reused-${_case}`;
      await place('cust-21', reference, [{ Sku: lamp.sku, Quantity: 1 }]);
      const reused = await place(customerId, reference, lines);
      expect(reused.status).toBe(500);
      expect(soapFaultOf(reused.body)).toEqual({ faultcode: 'soap:Client', faultstring: expect.any(String), code: 'REFERENCE_REUSED' });
      expect(reused.body).not.toContain('<OrderId>');
    });

    it('keeps what it booked across a restart: a new ERP over the same folder knows the order and its reference', async () => {
      await inFolder(async (stateDir) => {
        const first = await erpOver(stateDir);
        const booked = await callAt(first)('PlaceOrder', {
          CustomerId: 'cust-25',
          ExternalReference: 'erp-test-kept',
          Line: { Sku: lamp.sku, Quantity: 1 },
        });
        await first.stop();
        const second = await erpOver(stateDir);
        const again = await callAt(second)('PlaceOrder', {
          CustomerId: 'cust-25',
          ExternalReference: 'erp-test-kept',
          Line: { Sku: lamp.sku, Quantity: 1 },
        });
        const next = await callAt(second)('PlaceOrder', {
          CustomerId: 'cust-25',
          ExternalReference: 'erp-test-next',
          Line: { Sku: lamp.sku, Quantity: 1 },
        });
        await second.stop();
        expect(text(again.body, 'Created')).toBe('false');
        expect(ordersIn(again.body)).toEqual(ordersIn(booked.body));
        expect(text(next.body, 'OrderId')).not.toBe(text(booked.body, 'OrderId'));
      });
    });

    it.each([
      ['an unknown customer', 'cust-1001', [{ Sku: 'SKU-0001', Quantity: 1 }], 'UNKNOWN_CUSTOMER'],
      ['an unknown product', 'cust-22', [{ Sku: 'SKU-9999', Quantity: 1 }], 'UNKNOWN_SKU'],
      ['a quantity of 0', 'cust-22', [{ Sku: 'SKU-0001', Quantity: 0 }], 'INVALID_QUANTITY'],
      ['a quantity of 1000', 'cust-22', [{ Sku: 'SKU-0001', Quantity: 1000 }], 'INVALID_QUANTITY'],
      ['a fractional quantity', 'cust-22', [{ Sku: 'SKU-0001', Quantity: '1.5' }], 'INVALID_QUANTITY'],
      ['a word for a quantity', 'cust-22', [{ Sku: 'SKU-0001', Quantity: 'two' }], 'INVALID_QUANTITY'],
      ['no lines', 'cust-22', [], 'INVALID_REQUEST'],
      ['51 lines', 'cust-22', Array.from({ length: 51 }, () => ({ Sku: 'SKU-0001', Quantity: 1 })), 'INVALID_REQUEST'],
    ])('refuses %s with a soap:Client fault and books nothing', async (refusal, customerId, lines, code) => {
      const reference = `erp-test-refused-${refusal}`;
      const count = async () => ordersIn((await call('GetOrdersByCustomerIds', { CustomerId: 'cust-22' })).body).length;
      const before = await count();
      const answer = await place(customerId, reference, lines);
      expect(answer.status).toBe(500);
      expect(soapFaultOf(answer.body)).toEqual({ faultcode: 'soap:Client', faultstring: expect.any(String), code });
      expect(await count()).toBe(before);
      // The refused reference was not taken: it books normally now.
      const retry = await place('cust-22', reference, [{ Sku: 'SKU-0001', Quantity: 1 }]);
      expect(text(retry.body, 'Created')).toBe('true');
    });

    it.each([
      ['no external reference', { CustomerId: 'cust-23', Line: { Sku: 'SKU-0001', Quantity: 1 } }, /ExternalReference/],
      [
        'an external reference over 100 characters',
        { CustomerId: 'cust-23', ExternalReference: 'x'.repeat(101), Line: { Sku: 'SKU-0001', Quantity: 1 } },
        /ExternalReference/,
      ],
      ['no customer', { ExternalReference: 'erp-test-no-customer', Line: { Sku: 'SKU-0001', Quantity: 1 } }, /CustomerId/],
    ])('refuses %s with a soap:Client fault naming it', async (_case, args, named) => {
      const answer = await call('PlaceOrder', args);
      expect(answer.status).toBe(500);
      expect(soapFaultOf(answer.body)).toEqual({ faultcode: 'soap:Client', faultstring: expect.stringMatching(named), code: 'INVALID_REQUEST' });
    });
  });

  describe('PlaceOrder by card and with an expected total', () => {
    it('books a card order as PENDING_PAYMENT, its payment PENDING and no card number', async () => {
      const answer = await place('cust-30', 'erp-test-card', [{ Sku: desk.sku, Quantity: 1 }], { PaymentMethod: 'CARD' });
      expect(answer.status).toBe(200);
      expect(text(answer.body, 'Created')).toBe('true');
      const order = onlyOrder(answer.body);
      expect(order).toMatchObject({ status: 'PENDING_PAYMENT', payment: { status: 'PENDING', method: 'CARD', cardNumber: undefined } });
      expect(order.paymentReference).toBeUndefined();
      expect(ordersIn((await call('GetOrdersByIds', { OrderId: order.orderId })).body)).toEqual([order]);
    });

    it('books PaymentMethod INVOICE as PLACED, as an order without one', async () => {
      const order = onlyOrder((await place('cust-30', 'erp-test-invoice', [{ Sku: desk.sku, Quantity: 1 }], { PaymentMethod: 'INVOICE' })).body);
      expect(order).toMatchObject({ status: 'PLACED', payment: { status: 'PENDING', method: 'INVOICE' } });
    });

    it('counts the payment method as part of the request: the same again answers the first order, another method is REFERENCE_REUSED', async () => {
      const lines = [{ Sku: lamp.sku, Quantity: 2 }];
      const first = await place('cust-31', 'erp-test-card-once', lines, { PaymentMethod: 'CARD' });
      const again = await place('cust-31', 'erp-test-card-once', lines, { PaymentMethod: 'CARD' });
      expect(text(again.body, 'Created')).toBe('false');
      expect(ordersIn(again.body)).toEqual(ordersIn(first.body));
      for (const other of [{ PaymentMethod: 'INVOICE' }, {}]) {
        const reused = await place('cust-31', 'erp-test-card-once', lines, other);
        expect(soapFaultOf(reused.body)).toMatchObject({ faultcode: 'soap:Client', code: 'REFERENCE_REUSED' });
      }
      // An invoice order placed without a method is the same request as one with INVOICE.
      const invoiced = await place('cust-31', 'erp-test-invoice-once', lines);
      const named = await place('cust-31', 'erp-test-invoice-once', lines, { PaymentMethod: 'INVOICE' });
      expect(text(named.body, 'Created')).toBe('false');
      expect(ordersIn(named.body)).toEqual(ordersIn(invoiced.body));
    });

    it('books an order whose ExpectedTotal is its total, written with one or two fraction digits', async () => {
      const total = formatCents(3 * lamp.unitPriceCents);
      const order = onlyOrder((await place('cust-32', 'erp-test-expected', [{ Sku: lamp.sku, Quantity: 3 }], { ExpectedTotal: total })).body);
      expect(order.total).toBe(total);
      const tens = products.find((p) => p.unitPriceCents % 10 === 0);
      if (tens) {
        const short = formatCents(tens.unitPriceCents).slice(0, -1);
        const answer = await place('cust-32', 'erp-test-expected-short', [{ Sku: tens.sku, Quantity: 1 }], { ExpectedTotal: short });
        expect(text(answer.body, 'Created')).toBe('true');
      }
    });

    it('refuses an ExpectedTotal other than the total with TOTAL_MISMATCH, giving the total, and journals nothing', async () => {
      await inFolder(async (stateDir) => {
        const own = await erpOver(stateDir);
        try {
          const total = formatCents(2 * desk.unitPriceCents);
          const wrong = formatCents(2 * desk.unitPriceCents + 1);
          const count = async () => ordersIn((await callAt(own)('GetOrdersByCustomerIds', { CustomerId: 'cust-33' })).body).length;
          const before = await count();
          const placeFor = (expectedTotal: string) =>
            callAt(own)('PlaceOrder', {
              CustomerId: 'cust-33',
              ExternalReference: 'erp-test-mismatch',
              Line: { Sku: desk.sku, Quantity: 2 },
              PaymentMethod: 'CARD',
              ExpectedTotal: expectedTotal,
            });
          const answer = await placeFor(wrong);
          expect(answer.status).toBe(500);
          expect(soapFaultOf(answer.body)).toEqual({ faultcode: 'soap:Client', faultstring: expect.stringContaining(total), code: 'TOTAL_MISMATCH' });
          expect(text(text(answer.body, 'detail') ?? '', 'Total')).toBe(total);
          expect(await count()).toBe(before);
          expect(readFileSync(join(stateDir, 'changes.jsonl'), 'utf8')).toBe('');
          // The reference was not taken: with the right total it books.
          expect(text((await placeFor(total)).body, 'Created')).toBe('true');
          // A repeat asserting another total is refused too, although the order exists.
          const repeat = await placeFor(wrong);
          expect(soapFaultOf(repeat.body)).toMatchObject({ code: 'TOTAL_MISMATCH' });
        } finally {
          await own.stop();
        }
      });
    });

    it.each([
      ['a PaymentMethod it does not take', { PaymentMethod: 'CASH' }, /PaymentMethod/],
      ['an ExpectedTotal with three fraction digits', { ExpectedTotal: '10.001' }, /ExpectedTotal/],
      ['an ExpectedTotal that is not a number', { ExpectedTotal: 'ten' }, /ExpectedTotal/],
    ])('refuses %s with an INVALID_REQUEST fault naming it', async (_case, extra, named) => {
      const answer = await place('cust-34', `erp-test-invalid-${_case}`, [{ Sku: lamp.sku, Quantity: 1 }], extra);
      expect(soapFaultOf(answer.body)).toEqual({ faultcode: 'soap:Client', faultstring: expect.stringMatching(named), code: 'INVALID_REQUEST' });
    });
  });

  describe('ConfirmOrder', () => {
    it('confirms a pending card order with the payment reference, the payment still PENDING', async () => {
      const pending = await pendingOrder('erp-test-confirm');
      const answer = await confirm(pending.orderId, 'pi_3Test');
      expect(answer.status).toBe(200);
      const confirmed = onlyOrder(answer.body);
      expect(confirmed).toEqual({ ...pending, status: 'CONFIRMED', paymentReference: 'pi_3Test' });
      expect(confirmed.payment.status).toBe('PENDING');
      expect(ordersIn((await call('GetOrdersByIds', { OrderId: pending.orderId })).body)).toEqual([confirmed]);
      expect(await erp.stats()).toMatchObject({ calls: { ConfirmOrder: 1 } });
    });

    it('confirms without a payment reference', async () => {
      const pending = await pendingOrder('erp-test-confirm-bare');
      expect(onlyOrder((await confirm(pending.orderId)).body)).toEqual({ ...pending, status: 'CONFIRMED' });
    });

    it('answers a confirmed order again unchanged, whatever reference the repeat carries', async () => {
      const pending = await pendingOrder('erp-test-confirm-twice');
      const first = onlyOrder((await confirm(pending.orderId, 'pi_first')).body);
      const again = await confirm(pending.orderId, 'pi_second');
      expect(again.status).toBe(200);
      expect(onlyOrder(again.body)).toEqual(first);
    });

    it('answers an order past confirmation unchanged', async () => {
      const shipped = seededIn('SHIPPED');
      expect(onlyOrder((await confirm(shipped.orderId, 'pi_late')).body)).toEqual(onTheWire(shipped));
    });

    it.each(['CANCELLED', 'PAYMENT_FAILED'])('refuses a %s order with ORDER_CLOSED, naming its status', async (outcome) => {
      const pending = await pendingOrder(`erp-test-confirm-closed-${outcome}`);
      await cancel(pending.orderId, outcome, 'the customer gave up');
      const answer = await confirm(pending.orderId, 'pi_late');
      expect(answer.status).toBe(500);
      expect(soapFaultOf(answer.body)).toEqual({ faultcode: 'soap:Client', faultstring: expect.stringContaining(outcome), code: 'ORDER_CLOSED' });
      expect(onlyOrder((await call('GetOrdersByIds', { OrderId: pending.orderId })).body).status).toBe(outcome);
    });

    it.each([
      ['an unknown order', { OrderId: 'ord-999999' }, 'UNKNOWN_ORDER'],
      ['no order id', {}, 'INVALID_REQUEST'],
      ['a payment reference over 100 characters', { OrderId: 'ord-1', PaymentReference: 'p'.repeat(101) }, 'INVALID_REQUEST'],
    ])('refuses %s with a soap:Client fault', async (_case, args, code) => {
      const answer = await call('ConfirmOrder', args);
      expect(answer.status).toBe(500);
      expect(soapFaultOf(answer.body)).toEqual({ faultcode: 'soap:Client', faultstring: expect.any(String), code });
    });
  });

  describe('CancelOrder', () => {
    it('fails a pending card order: PAYMENT_FAILED with the reason, its payment FAILED', async () => {
      const pending = await pendingOrder('erp-test-fail');
      const answer = await cancel(pending.orderId, 'PAYMENT_FAILED', 'card_declined: insufficient funds');
      expect(answer.status).toBe(200);
      const failed = onlyOrder(answer.body);
      expect(failed).toEqual({
        ...pending,
        status: 'PAYMENT_FAILED',
        statusReason: 'card_declined: insufficient funds',
        payment: { ...pending.payment, status: 'FAILED' },
      });
      expect(ordersIn((await call('GetOrdersByIds', { OrderId: pending.orderId })).body)).toEqual([failed]);
    });

    it('cancels a confirmed order and a placed one, their payments as they were', async () => {
      const pending = await pendingOrder('erp-test-cancel-confirmed');
      const confirmed = onlyOrder((await confirm(pending.orderId, 'pi_cancel')).body);
      expect(onlyOrder((await cancel(pending.orderId, 'CANCELLED', 'out of stock')).body)).toEqual({
        ...confirmed,
        status: 'CANCELLED',
        statusReason: 'out of stock',
      });
      const placed = seededIn('PLACED');
      expect(onlyOrder((await cancel(placed.orderId, 'CANCELLED', 'asked by the customer')).body)).toEqual({
        ...onTheWire(placed),
        status: 'CANCELLED',
        statusReason: 'asked by the customer',
      });
    });

    it('answers an order already ended unchanged, whatever the repeat asks', async () => {
      const pending = await pendingOrder('erp-test-cancel-twice');
      const first = onlyOrder((await cancel(pending.orderId, 'PAYMENT_FAILED', 'expired')).body);
      for (const outcome of ['PAYMENT_FAILED', 'CANCELLED']) {
        const again = await cancel(pending.orderId, outcome, 'again');
        expect(again.status).toBe(200);
        expect(onlyOrder(again.body)).toEqual(first);
      }
      const seededCancel = seededIn('CANCELLED');
      expect(onlyOrder((await cancel(seededCancel.orderId, 'CANCELLED', 'again')).body)).toEqual(onTheWire(seededCancel));
    });

    it.each(['SHIPPED', 'DELIVERED'])('refuses a %s order with NOT_CANCELLABLE and leaves it', async (status) => {
      const order = seededIn(status);
      const answer = await cancel(order.orderId, 'CANCELLED', 'too late');
      expect(answer.status).toBe(500);
      expect(soapFaultOf(answer.body)).toEqual({ faultcode: 'soap:Client', faultstring: expect.stringContaining(status), code: 'NOT_CANCELLABLE' });
      expect(ordersIn((await call('GetOrdersByIds', { OrderId: order.orderId })).body)).toEqual([onTheWire(order)]);
    });

    it.each([
      ['an unknown order', { OrderId: 'ord-999999', Outcome: 'CANCELLED', Reason: 'x' }, 'UNKNOWN_ORDER'],
      ['an outcome it does not take', { OrderId: 'ord-1', Outcome: 'SHIPPED', Reason: 'x' }, 'INVALID_REQUEST'],
      ['no outcome', { OrderId: 'ord-1', Reason: 'x' }, 'INVALID_REQUEST'],
      ['no reason', { OrderId: 'ord-1', Outcome: 'CANCELLED' }, 'INVALID_REQUEST'],
      ['a reason over 200 characters', { OrderId: 'ord-1', Outcome: 'CANCELLED', Reason: 'r'.repeat(201) }, 'INVALID_REQUEST'],
    ])('refuses %s with a soap:Client fault', async (_case, args, code) => {
      const answer = await call('CancelOrder', args);
      expect(answer.status).toBe(500);
      expect(soapFaultOf(answer.body)).toEqual({ faultcode: 'soap:Client', faultstring: expect.any(String), code });
    });

    it('takes a reason of exactly 200 characters', async () => {
      const pending = await pendingOrder('erp-test-cancel-long');
      expect(onlyOrder((await cancel(pending.orderId, 'CANCELLED', 'r'.repeat(200))).body).statusReason).toBe('r'.repeat(200));
    });
  });

  describe('GetOrdersByStatus', () => {
    // An ERP of its own: the other tests' bookings and changes would move its lists.
    let own: RunningBackend;
    beforeAll(async () => {
      own = await startBackend(createErpServer);
    });
    afterAll(() => own.stop());
    const listed = async (args: Record<string, unknown>) => {
      const answer = await callAt(own)('GetOrdersByStatus', args);
      expect(answer.status).toBe(200);
      return ordersIn(answer.body);
    };
    const oldestFirst = (status: string) =>
      seeded.filter((o) => o.status === status).sort((a, b) => a.placedAt.localeCompare(b.placedAt) || seeded.indexOf(a) - seeded.indexOf(b));

    it('answers the orders in a status, oldest first, at most 500', async () => {
      const placed = oldestFirst('PLACED');
      expect(placed.length).toBeGreaterThan(500);
      expect(await listed({ Status: 'PLACED' })).toEqual(placed.slice(0, 500).map(onTheWire));
      expect(await listed({ Status: 'CANCELLED', Limit: 3 })).toEqual(oldestFirst('CANCELLED').slice(0, 3).map(onTheWire));
      expect(await listed({ Status: 'CONFIRMED' })).toEqual([]);
    });

    it('answers only orders placed before PlacedBefore', async () => {
      const before = '2019-03-01T00:00:00Z';
      const expected = oldestFirst('SHIPPED').filter((o) => o.placedAt < before);
      expect(expected.length).toBeGreaterThan(0);
      expect(await listed({ Status: 'SHIPPED', PlacedBefore: before })).toEqual(expected.map(onTheWire));
      expect(await listed({ Status: 'SHIPPED', PlacedBefore: '2000-01-01T00:00:00Z' })).toEqual([]);
    });

    it('lists new card orders while they wait, and no longer once they are confirmed or failed', async () => {
      const booked = [];
      for (const n of [1, 2, 3]) {
        const answer = await callAt(own)('PlaceOrder', {
          CustomerId: 'cust-35',
          ExternalReference: `erp-test-listed-${n}`,
          Line: { Sku: lamp.sku, Quantity: n },
          PaymentMethod: 'CARD',
        });
        booked.push(onlyOrder(answer.body));
      }
      const [first, second, third] = booked as [WireOrder, WireOrder, WireOrder];
      expect(await listed({ Status: 'PENDING_PAYMENT' })).toEqual(booked);
      await callAt(own)('ConfirmOrder', { OrderId: first.orderId, PaymentReference: 'pi_listed' });
      await callAt(own)('CancelOrder', { OrderId: second.orderId, Outcome: 'PAYMENT_FAILED', Reason: 'declined' });
      expect(await listed({ Status: 'PENDING_PAYMENT' })).toEqual([third]);
      expect((await listed({ Status: 'CONFIRMED' })).map((o) => o.orderId)).toEqual([first.orderId]);
      expect((await listed({ Status: 'PAYMENT_FAILED' })).map((o) => o.orderId)).toEqual([second.orderId]);
      expect(await listed({ Status: 'PENDING_PAYMENT', PlacedBefore: '2019-01-01T00:00:00Z' })).toEqual([]);
    });

    it.each([
      ['no status', {}],
      ['a status it does not know', { Status: 'LOST' }],
      ['a limit of 0', { Status: 'PLACED', Limit: 0 }],
      ['a limit of 501', { Status: 'PLACED', Limit: 501 }],
      ['a PlacedBefore that is no date', { Status: 'PLACED', PlacedBefore: 'yesterday' }],
    ])('refuses %s with an INVALID_REQUEST fault', async (_case, args) => {
      const answer = await callAt(own)('GetOrdersByStatus', args);
      expect(answer.status).toBe(500);
      expect(soapFaultOf(answer.body)).toEqual({ faultcode: 'soap:Client', faultstring: expect.any(String), code: 'INVALID_REQUEST' });
    });
  });

  describe('the journal', () => {
    it('keeps confirmations and cancellations across a restart', async () => {
      await inFolder(async (stateDir) => {
        const first = await erpOver(stateDir);
        const at = callAt(first);
        const book = async (reference: string) =>
          onlyOrder(
            (await at('PlaceOrder', { CustomerId: 'cust-36', ExternalReference: reference, Line: { Sku: lamp.sku, Quantity: 1 }, PaymentMethod: 'CARD' })).body,
          ).orderId;
        const confirmedId = await book('erp-test-journal-confirm');
        const failedId = await book('erp-test-journal-fail');
        const placed = seededIn('PLACED');
        await at('ConfirmOrder', { OrderId: confirmedId, PaymentReference: 'pi_kept' });
        await at('CancelOrder', { OrderId: failedId, Outcome: 'PAYMENT_FAILED', Reason: 'declined' });
        await at('CancelOrder', { OrderId: placed.orderId, Outcome: 'CANCELLED', Reason: 'changed their mind' });
        const ids = { OrderId: [confirmedId, failedId, placed.orderId] };
        const before = ordersIn((await at('GetOrdersByIds', ids)).body);
        await first.stop();

        const second = await erpOver(stateDir);
        try {
          const after = ordersIn((await callAt(second)('GetOrdersByIds', ids)).body);
          expect(after).toEqual(before);
          expect(after.map((o) => [o.status, o.paymentReference, o.statusReason, o.payment.status])).toEqual([
            ['CONFIRMED', 'pi_kept', undefined, 'PENDING'],
            ['PAYMENT_FAILED', undefined, 'declined', 'FAILED'],
            ['CANCELLED', undefined, 'changed their mind', placed.payment.status],
          ]);
          // Still idempotent after the restart, and the next booking gets a new id.
          expect(onlyOrder((await callAt(second)('ConfirmOrder', { OrderId: confirmedId, PaymentReference: 'pi_other' })).body)).toEqual(before[0]);
          const next = await callAt(second)('PlaceOrder', {
            CustomerId: 'cust-36',
            ExternalReference: 'erp-test-journal-next',
            Line: { Sku: lamp.sku, Quantity: 1 },
          });
          expect([confirmedId, failedId]).not.toContain(text(next.body, 'OrderId'));
        } finally {
          await second.stop();
        }
      });
    });

    it('reads a journal written before orders could change: bare orders are bookings, and changes follow them', async () => {
      const old: ErpOrder = {
        orderId: 'ord-6001',
        customerId: 'cust-37',
        externalReference: 'erp-test-old-format',
        status: 'PLACED',
        placedAt: '2026-07-01T10:00:00Z',
        currency: 'EUR',
        lines: [{ lineNumber: 1, sku: lamp.sku, description: lamp.description, quantity: 1, unitPriceCents: lamp.unitPriceCents }],
        payment: { status: 'PENDING', method: 'INVOICE' },
      };
      await inFolder(async (stateDir) => {
        writeFileSync(join(stateDir, 'changes.jsonl'), `${JSON.stringify(old)}\n`);
        const first = await erpOver(stateDir);
        try {
          expect(ordersIn((await callAt(first)('GetOrdersByIds', { OrderId: 'ord-6001' })).body)).toEqual([onTheWire(old)]);
          const again = await callAt(first)('PlaceOrder', {
            CustomerId: 'cust-37',
            ExternalReference: 'erp-test-old-format',
            Line: { Sku: lamp.sku, Quantity: 1 },
          });
          expect(text(again.body, 'Created')).toBe('false');
          expect(text(again.body, 'OrderId')).toBe('ord-6001');
          await callAt(first)('CancelOrder', { OrderId: 'ord-6001', Outcome: 'CANCELLED', Reason: 'old order' });
        } finally {
          await first.stop();
        }
        const lines = readFileSync(join(stateDir, 'changes.jsonl'), 'utf8').trim().split('\n');
        expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual([
          old,
          { kind: 'changed', orderId: 'ord-6001', status: 'CANCELLED', statusReason: 'old order', at: expect.any(String) },
        ]);
        const second = await erpOver(stateDir);
        try {
          const [order] = ordersIn((await callAt(second)('GetOrdersByIds', { OrderId: 'ord-6001' })).body);
          expect(order).toEqual({ ...onTheWire(old), status: 'CANCELLED', statusReason: 'old order' });
        } finally {
          await second.stop();
        }
      });
    });

    it('refuses to start over a journal that changes an order it never booked', async () => {
      await inFolder(async (stateDir) => {
        writeFileSync(join(stateDir, 'changes.jsonl'), `${JSON.stringify({ kind: 'changed', orderId: 'ord-999999', status: 'CONFIRMED' })}\n`);
        await expect(createErpServer({ log: silentLogger, faults: noFaults, stateDir })).rejects.toThrow(/ord-999999/);
      });
    });
  });

  it('answers a GET without ?wsdl and a POST elsewhere with soap:Client faults', async () => {
    const get = await fetch(`${erp.url}/erp`);
    expect(get.status).toBe(500);
    expect(soapFaultOf(await get.text())).toMatchObject({ faultcode: 'soap:Client' });
    const elsewhere = await callSoap(`${erp.url}/orders`, NAMESPACE, 'GetOrdersByIds', { OrderId: 'ord-1' });
    expect(soapFaultOf(elsewhere.body)).toMatchObject({ faultcode: 'soap:Client', faultstring: expect.stringContaining('/orders') });
    expect(await erp.stats()).toEqual({ total: 0, calls: {} });
  });

  it('answers a soap:Server fault at errorRate 1 and drops connections while down', async () => {
    await erp.setFaults({ errorRate: 1 });
    const faulted = await call('GetOrdersByIds', { OrderId: 'ord-1' });
    expect(faulted.status).toBe(500);
    expect(soapFaultOf(faulted.body)).toEqual({ faultcode: 'soap:Server', faultstring: 'injected fault', code: undefined });
    await erp.setFaults({ errorRate: 0, down: true });
    await expect(call('GetOrdersByIds', { OrderId: 'ord-1' })).rejects.toThrow('fetch failed');
    await expect(fetch(`${erp.url}/erp?wsdl`)).rejects.toThrow('fetch failed');
    expect((await fetch(`${erp.url}/ready`)).status).toBe(200);
    await erp.setFaults({ down: false });
    expect((await call('GetOrdersByIds', { OrderId: 'ord-1' })).status).toBe(200);
  });
});
