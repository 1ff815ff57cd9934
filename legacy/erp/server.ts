import { join } from 'node:path';
import { readSettings } from '../../platform/env';
import { createLegacyServer, type LegacyServer } from '../kit/legacy-server';
import type { BackendOptions } from '../kit/stand-in';
import { asList, createSoapEndpoint, idList, requiredText, soapFault } from '../kit/soap-endpoint';
import { CallStats } from '../kit/stats';
import { formatCents, parseCents } from '../../platform/money';
import {
  ORDER_STATUSES,
  orderTotalCents,
  seedAccountCurrencies,
  seedOrders,
  seedProducts,
  type ErpOrder,
  type OrderStatus,
  type PaymentMethod,
} from '../seed/orders';
import { isKnownCustomer } from '../seed/random';
import { orderAdmin } from './admin';
import { erpSettings, Fulfilment } from './fulfilment';
import { OrderBook, type FeedChange } from './order-book';

const MAX_LINES = 50;
const MAX_QUANTITY = 999;
const MAX_REFERENCE = 100;
const MAX_REASON = 200;
const MAX_LISTED = 500;
/** Changes a GetOrderChanges answers when MaxChanges is not given, and at most. */
const DEFAULT_CHANGES = 100;
const MAX_CHANGES = 500;
/** Where an order can still be cancelled: nothing has left the warehouse. */
const CANCELLABLE: ReadonlySet<OrderStatus> = new Set(['PENDING_PAYMENT', 'CONFIRMED', 'PLACED']);
/** Where an order ends without being delivered. */
const CLOSED: ReadonlySet<OrderStatus> = new Set(['CANCELLED', 'PAYMENT_FAILED']);

/** An order in the ERP's wire shape; key order follows the WSDL's xsd:sequence. */
function toSoapOrder(order: ErpOrder) {
  return {
    OrderId: order.orderId,
    CustomerId: order.customerId,
    ...(order.externalReference ? { ExternalReference: order.externalReference } : {}),
    Status: order.status,
    PlacedAt: order.placedAt,
    Currency: order.currency,
    Total: formatCents(orderTotalCents(order)),
    Lines: {
      Line: order.lines.map((line) => ({
        LineNumber: line.lineNumber,
        Sku: line.sku,
        Description: line.description,
        Quantity: line.quantity,
        UnitPrice: formatCents(line.unitPriceCents),
      })),
    },
    Payment: { Status: order.payment.status, Method: order.payment.method, ...(order.payment.cardNumber ? { CardNumber: order.payment.cardNumber } : {}) },
    ...(order.paymentReference ? { PaymentReference: order.paymentReference } : {}),
    ...(order.statusReason ? { StatusReason: order.statusReason } : {}),
  };
}

/** A change-feed entry in the ERP's wire shape, in the WSDL's xsd:sequence order. */
const toSoapChange = (change: FeedChange) => ({
  ChangeNumber: change.changeNumber,
  OrderId: change.orderId,
  CustomerId: change.customerId,
  Status: change.status,
  ChangedAt: change.changedAt,
});

/** Whether a PlaceOrder request asks for exactly this order again: the same customer, lines in order and payment method. */
const asksFor = (order: ErpOrder, customerId: string, requested: Array<Record<string, unknown>>, method: PaymentMethod) =>
  order.customerId === customerId &&
  order.payment.method === method &&
  order.lines.length === requested.length &&
  order.lines.every((line, i) => line.sku === requested[i]?.Sku && line.quantity === Number(requested[i]?.Quantity));

/** An optional element that must be one of `values`, else a Client fault naming it. */
function oneOf<T extends string>(args: Record<string, unknown>, name: string, values: readonly T[]): T | undefined {
  const value = args[name];
  if (value === undefined) return undefined;
  if (!values.includes(value as T)) throw soapFault('Client', 'INVALID_REQUEST', `${name} must be one of ${values.join(', ')}`);
  return value as T;
}

/** An optional string element of at most `max` characters, else a Client fault naming it. */
function optionalText(args: Record<string, unknown>, name: string, max: number): string | undefined {
  if (args[name] === undefined) return undefined;
  const value = requiredText(args, name);
  if (value.length > max) throw soapFault('Client', 'INVALID_REQUEST', `${name} is longer than ${max} characters`);
  return value;
}

/** ExpectedTotal in cents, when sent. node-soap reads an xsd:decimal as a Number, whose shortest form is the decimal sent. */
function expectedCents(args: Record<string, unknown>): number | undefined {
  if (args.ExpectedTotal === undefined) return undefined;
  const cents = parseCents(String(args.ExpectedTotal));
  if (cents === undefined) throw soapFault('Client', 'INVALID_REQUEST', 'ExpectedTotal must be a decimal amount with at most two fraction digits');
  return cents;
}

/** A TOTAL_MISMATCH Client fault unless `expected` (when sent) is the order's total, which the fault's detail carries. */
function checkTotal(expected: number | undefined, lines: ErpOrder['lines']): void {
  const cents = orderTotalCents({ lines });
  if (expected === undefined || expected === cents) return;
  const total = formatCents(cents);
  const { Fault } = soapFault('Client', 'TOTAL_MISMATCH', `ExpectedTotal ${formatCents(expected)} is not the order's total, ${total}`);
  throw { Fault: { ...Fault, detail: { ...Fault.detail, Total: total } } };
}

/** An optional whole-number element within bounds (`fallback` when not sent), else a Client fault naming it. */
function wholeNumber(args: Record<string, unknown>, name: string, fallback: number, min: number, max: number): number {
  const value = args[name] === undefined ? fallback : Number(args[name]);
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw soapFault('Client', 'INVALID_REQUEST', `${name} must be a whole number from ${min} to ${max}`);
  return value;
}

/** An optional xsd:dateTime element (node-soap reads it as a Date), else a Client fault naming it. */
function optionalDate(args: Record<string, unknown>, name: string): Date | undefined {
  const value = args[name];
  if (value === undefined) return undefined;
  const date = value instanceof Date ? value : new Date(String(value));
  if (Number.isNaN(date.getTime())) throw soapFault('Client', 'INVALID_REQUEST', `${name} must be an xsd:dateTime`);
  return date;
}

/**
 * The ERP: SOAP 1.1 order service at `/erp` (WSDL at `/erp?wsdl`). Bookings and changes are kept in a journal under
 * `stateDir`, replayed over the seed at start-up.
 * `PlaceOrder` never creates a second order for an ExternalReference it has seen: the same order again answers the first
 * one, Created=false; another customer, other lines or another payment method are a REFERENCE_REUSED Client fault.
 * A card order waits in PENDING_PAYMENT until `ConfirmOrder` or `CancelOrder`; both answer an order already where they
 * would take it unchanged, so a repeat is harmless.
 * Paid and invoice orders ship, then are delivered, at `ERP_FULFILMENT_PACE`, or at once by
 * `POST /_admin/orders/<id>/advance`. `GetOrderChanges` is the change feed: every booking and status change since the
 * seed, numbered from 1 in the order it was journaled.
 */
export default async function createErpServer(options: BackendOptions): Promise<LegacyServer> {
  const products = new Map(seedProducts().map((p) => [p.sku, p]));
  const currencies = seedAccountCurrencies();
  const book = new OrderBook(seedOrders([...products.values()], currencies), options.stateDir);
  const stats = new CallStats();
  const settings = readSettings(erpSettings, options.env);
  const fulfilment = new Fulfilment(book, options.log, settings.fulfilmentPaceMs);

  const knownOrder = (args: Record<string, unknown>): ErpOrder => {
    const orderId = requiredText(args, 'OrderId');
    const order = book.get(orderId);
    if (!order) throw soapFault('Client', 'UNKNOWN_ORDER', `no order ${orderId.slice(0, 40)}`);
    return order;
  };

  const placeOrder = (args: Record<string, unknown>) => {
    const customerId = requiredText(args, 'CustomerId');
    const externalReference = requiredText(args, 'ExternalReference');
    if (externalReference.length > MAX_REFERENCE) throw soapFault('Client', 'INVALID_REQUEST', `ExternalReference is longer than ${MAX_REFERENCE} characters`);
    const requested = asList(args.Line) as Array<Record<string, unknown>>;
    // Without a PaymentMethod, as before it existed: an invoice order.
    const method = oneOf<PaymentMethod>(args, 'PaymentMethod', ['CARD', 'INVOICE']) ?? 'INVOICE';
    const expected = expectedCents(args);
    const existing = book.withReference(externalReference);
    if (existing && !asksFor(existing, customerId, requested, method)) {
      throw soapFault('Client', 'REFERENCE_REUSED', 'ExternalReference was already used for another order');
    }
    if (existing) {
      checkTotal(expected, existing.lines);
      return { Order: toSoapOrder(existing), Created: false };
    }
    if (!isKnownCustomer(customerId)) throw soapFault('Client', 'UNKNOWN_CUSTOMER', `no customer account ${customerId.slice(0, 40)}`);
    if (requested.length === 0 || requested.length > MAX_LINES) throw soapFault('Client', 'INVALID_REQUEST', `an order has 1 to ${MAX_LINES} lines`);
    const lines = requested.map((line, i) => {
      const sku = typeof line?.Sku === 'string' ? line.Sku : '';
      const product = products.get(sku);
      if (!product) throw soapFault('Client', 'UNKNOWN_SKU', `line ${i + 1}: no product ${sku.slice(0, 40)}`);
      const quantity = Number(line.Quantity);
      if (!Number.isInteger(quantity) || quantity < 1 || quantity > MAX_QUANTITY) {
        throw soapFault('Client', 'INVALID_QUANTITY', `line ${i + 1}: quantity must be a whole number from 1 to ${MAX_QUANTITY}`);
      }
      return { lineNumber: i + 1, sku, description: product.description, quantity, unitPriceCents: product.unitPriceCents };
    });
    checkTotal(expected, lines);
    const order: ErpOrder = {
      orderId: book.nextOrderId(),
      customerId,
      externalReference,
      // A card order is not placed until its payment is confirmed; the card itself stays with the payment provider.
      status: method === 'CARD' ? 'PENDING_PAYMENT' : 'PLACED',
      placedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      currency: currencies.get(customerId) ?? 'EUR',
      lines,
      payment: { status: 'PENDING', method },
    };
    book.place(order);
    options.log.info({ orderId: order.orderId, status: order.status }, 'order placed');
    return { Order: toSoapOrder(order), Created: true };
  };

  const confirmOrder = (args: Record<string, unknown>) => {
    const order = knownOrder(args);
    const paymentReference = optionalText(args, 'PaymentReference', MAX_REFERENCE);
    if (CLOSED.has(order.status)) throw soapFault('Client', 'ORDER_CLOSED', `order ${order.orderId} is ${order.status}`);
    // Confirmed already, or past confirmation: a repeat changes nothing.
    if (order.status !== 'PENDING_PAYMENT') return { Order: toSoapOrder(order) };
    // The payment stays PENDING: whether the money arrives is the provider's to say, not the ERP's.
    const confirmed = book.change({ orderId: order.orderId, status: 'CONFIRMED', ...(paymentReference ? { paymentReference } : {}) });
    options.log.info({ orderId: order.orderId }, 'order confirmed');
    return { Order: toSoapOrder(confirmed) };
  };

  const cancelOrder = (args: Record<string, unknown>) => {
    const order = knownOrder(args);
    const outcome = oneOf(args, 'Outcome', ['CANCELLED', 'PAYMENT_FAILED'] as const);
    if (!outcome) throw soapFault('Client', 'INVALID_REQUEST', 'Outcome is required');
    const statusReason = optionalText(args, 'Reason', MAX_REASON);
    if (!statusReason) throw soapFault('Client', 'INVALID_REQUEST', 'Reason is required');
    if (CLOSED.has(order.status)) return { Order: toSoapOrder(order) };
    if (!CANCELLABLE.has(order.status)) throw soapFault('Client', 'NOT_CANCELLABLE', `order ${order.orderId} is ${order.status}`);
    const cancelled = book.change({
      orderId: order.orderId,
      status: outcome,
      statusReason,
      ...(outcome === 'PAYMENT_FAILED' ? { paymentStatus: 'FAILED' as const } : {}),
    });
    options.log.info({ orderId: order.orderId, status: outcome }, 'order cancelled');
    return { Order: toSoapOrder(cancelled) };
  };

  const ordersByStatus = (args: Record<string, unknown>) => {
    const status = oneOf(args, 'Status', ORDER_STATUSES);
    if (!status) throw soapFault('Client', 'INVALID_REQUEST', 'Status is required');
    const limit = args.Limit === undefined ? MAX_LISTED : Number(args.Limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LISTED)
      throw soapFault('Client', 'INVALID_REQUEST', `Limit must be a whole number from 1 to ${MAX_LISTED}`);
    return { Order: book.inStatus(status, optionalDate(args, 'PlacedBefore'), limit).map(toSoapOrder) };
  };

  const orderChanges = (args: Record<string, unknown>) => {
    const after = wholeNumber(args, 'AfterChange', 0, 0, Number.MAX_SAFE_INTEGER);
    const max = wholeNumber(args, 'MaxChanges', DEFAULT_CHANGES, 1, MAX_CHANGES);
    const { changes, more, last } = book.changes(after, max);
    return { Change: changes.map(toSoapChange), MoreChanges: more, LastChange: last };
  };

  const soap = await createSoapEndpoint({
    wsdlPath: join(__dirname, 'erp.wsdl'),
    path: '/erp',
    service: 'ErpOrderService',
    port: 'ErpOrderPort',
    stats,
    operations: {
      GetOrdersByCustomerIds: (args) => ({
        Order: idList(args, 'CustomerId')
          .flatMap((id) => book.ofCustomer(id))
          .map(toSoapOrder),
      }),
      GetOrdersByIds: (args) => ({
        Order: idList(args, 'OrderId')
          .flatMap((id) => book.get(id) ?? [])
          .map(toSoapOrder),
      }),
      GetOrdersByStatus: ordersByStatus,
      PlaceOrder: placeOrder,
      ConfirmOrder: confirmOrder,
      CancelOrder: cancelOrder,
      GetOrderChanges: orderChanges,
    },
  });
  const legacy = createLegacyServer({ name: 'erp', stats, ...options, admin: orderAdmin(book, fulfilment), handle: soap.handle, failure: soap.failure });
  legacy.server.on('close', () => fulfilment.stop());
  return legacy;
}
