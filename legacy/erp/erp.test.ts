import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatCents } from '../../platform/money';
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
  };
}

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
});

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

  const call = (operation: string, args: Record<string, unknown>) => callSoap(`${erp.url}/erp`, NAMESPACE, operation, args);
  const ordersIn = (xml: string) => elements(xml, 'Order').map(readOrder);
  const place = (customerId: string, reference: string, lines: Array<{ Sku: string; Quantity: number | string }>) =>
    call('PlaceOrder', { CustomerId: customerId, ExternalReference: reference, Line: lines });

  it('serves its WSDL at ?wsdl with the address the client reached, uncounted', async () => {
    for (const query of ['?wsdl', '?WSDL']) {
      const response = await fetch(`${erp.url}/erp${query}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/xml/);
      const wsdl = await response.text();
      expect(wsdl).toContain(`targetNamespace="${NAMESPACE}"`);
      for (const operation of ['GetOrdersByCustomerIds', 'GetOrdersByIds', 'PlaceOrder']) expect(wsdl).toContain(`<operation name="${operation}">`);
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
    const desk = products[2] as (typeof products)[number];
    const lamp = products[0] as (typeof products)[number];

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
      const stateDir = mkdtempSync(join(tmpdir(), 'atrium-erp-'));
      try {
        const first = await startBackend((options) => createErpServer({ ...options, stateDir }));
        const booked = await callSoap(`${first.url}/erp`, NAMESPACE, 'PlaceOrder', {
          CustomerId: 'cust-25',
          ExternalReference: 'erp-test-kept',
          Line: { Sku: lamp.sku, Quantity: 1 },
        });
        await first.stop();
        const second = await startBackend((options) => createErpServer({ ...options, stateDir }));
        const again = await callSoap(`${second.url}/erp`, NAMESPACE, 'PlaceOrder', {
          CustomerId: 'cust-25',
          ExternalReference: 'erp-test-kept',
          Line: { Sku: lamp.sku, Quantity: 1 },
        });
        const next = await callSoap(`${second.url}/erp`, NAMESPACE, 'PlaceOrder', {
          CustomerId: 'cust-25',
          ExternalReference: 'erp-test-next',
          Line: { Sku: lamp.sku, Quantity: 1 },
        });
        await second.stop();
        expect(text(again.body, 'Created')).toBe('false');
        expect(ordersIn(again.body)).toEqual(ordersIn(booked.body));
        expect(text(next.body, 'OrderId')).not.toBe(text(booked.body, 'OrderId'));
      } finally {
        rmSync(stateDir, { recursive: true, force: true });
      }
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
