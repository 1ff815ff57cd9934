import { join } from 'node:path';
import { openJournal } from '../kit/journal';
import { createLegacyServer, type LegacyServer } from '../kit/legacy-server';
import type { BackendOptions } from '../kit/stand-in';
import { asList, createSoapEndpoint, idList, requiredText, soapFault } from '../kit/soap-endpoint';
import { CallStats } from '../kit/stats';
import { formatCents } from '../../platform/money';
import { orderTotalCents, seedAccountCurrencies, seedOrders, seedProducts, type ErpOrder } from '../seed/orders';
import { isKnownCustomer } from '../seed/random';

const MAX_LINES = 50;
const MAX_QUANTITY = 999;

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
  };
}

/** Whether a PlaceOrder request asks for exactly this order again: the same customer and the same lines in order. */
const asksFor = (order: ErpOrder, customerId: string, requested: Array<Record<string, unknown>>) =>
  order.customerId === customerId &&
  order.lines.length === requested.length &&
  order.lines.every((line, i) => line.sku === requested[i]?.Sku && line.quantity === Number(requested[i]?.Quantity));

/**
 * The ERP: SOAP 1.1 order service at `/erp` (WSDL at `/erp?wsdl`). Placed orders are kept in a journal under
 * `stateDir`, replayed over the seed at start-up.
 * `PlaceOrder` never creates a second order for an ExternalReference it has seen: the same order again answers the first
 * one, Created=false; another customer or other lines are a REFERENCE_REUSED Client fault.
 */
export default async function createErpServer(options: BackendOptions): Promise<LegacyServer> {
  const products = new Map(seedProducts().map((p) => [p.sku, p]));
  const currencies = seedAccountCurrencies();
  const orders = seedOrders([...products.values()], currencies);
  const byId = new Map(orders.map((o) => [o.orderId, o]));
  const byReference = new Map<string, ErpOrder>();
  const byCustomer = new Map<string, ErpOrder[]>();
  const file = (order: ErpOrder) => {
    const list = byCustomer.get(order.customerId) ?? [];
    list.push(order);
    list.sort((a, b) => b.placedAt.localeCompare(a.placedAt));
    byCustomer.set(order.customerId, list);
  };
  const record = (order: ErpOrder) => {
    byId.set(order.orderId, order);
    if (order.externalReference) byReference.set(order.externalReference, order);
    file(order);
  };
  orders.forEach(file);
  const journal = openJournal<ErpOrder>(options.stateDir);
  journal.replayed.forEach(record);
  const stats = new CallStats();

  const placeOrder = (args: Record<string, unknown>) => {
    const customerId = requiredText(args, 'CustomerId');
    const externalReference = requiredText(args, 'ExternalReference');
    if (externalReference.length > 100) throw soapFault('Client', 'INVALID_REQUEST', 'ExternalReference is longer than 100 characters');
    const requested = asList(args.Line) as Array<Record<string, unknown>>;
    const existing = byReference.get(externalReference);
    if (existing && !asksFor(existing, customerId, requested)) {
      throw soapFault('Client', 'REFERENCE_REUSED', 'ExternalReference was already used for another order');
    }
    if (existing) return { Order: toSoapOrder(existing), Created: false };
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
    const order: ErpOrder = {
      orderId: `ord-${byId.size + 1}`,
      customerId,
      externalReference,
      status: 'PLACED',
      placedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      currency: currencies.get(customerId) ?? 'EUR',
      lines,
      payment: { status: 'PENDING', method: 'INVOICE' },
    };
    journal.append(order);
    record(order);
    options.log.info({ orderId: order.orderId }, 'order placed');
    return { Order: toSoapOrder(order), Created: true };
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
          .flatMap((id) => byCustomer.get(id) ?? [])
          .map(toSoapOrder),
      }),
      GetOrdersByIds: (args) => ({
        Order: idList(args, 'OrderId')
          .flatMap((id) => byId.get(id) ?? [])
          .map(toSoapOrder),
      }),
      PlaceOrder: placeOrder,
    },
  });
  return createLegacyServer({ name: 'erp', stats, ...options, handle: soap.handle, failure: soap.failure });
}
