import DataLoader from 'dataloader';
import { z } from 'zod';
import { formatCents, parseCents } from '../../platform/money';
import { byKeys, groupByKeys, MAX_BATCH } from '../kit/batch';
import { rememberingBatch, type Remembering } from '../kit/last-good';
import { badUserInput } from '../kit/errors';
import { idempotencyKeyReused } from '../kit/idempotency';
import { xsdInt } from '../kit/soap-answer';
import { asList, SoapClient, SoapClientFault } from '../kit/soap-client';

export interface Money {
  amount: string;
  currency: string;
}

export interface OrderLine {
  lineNumber: number;
  sku: string;
  description: string;
  quantity: number;
  unitPrice: Money;
  amount: Money;
}

export interface Payment {
  status: 'PENDING' | 'PAID' | 'REFUNDED' | 'FAILED';
  method: 'CARD' | 'INVOICE';
  cardBrand: string | null;
  cardLast4: string | null;
}

/** An order as the orders subgraph serves it. */
export interface Order {
  id: string;
  customerId: string;
  status: 'PLACED' | 'SHIPPED' | 'DELIVERED' | 'CANCELLED';
  placedAt: string;
  total: Money;
  lines: OrderLine[];
  payment: Payment;
}

export interface NewOrder {
  customerId: string;
  lines: { sku: string; quantity: number }[];
  idempotencyKey: string;
}

/** What the orders subgraph needs from an order system. One instance per request: loads are batched within it. */
export interface OrdersBackend {
  /** A customer's orders, most recent first; batched with the request's other customers. */
  ordersOf(customerId: string): Promise<Order[]>;
  /** One order, batched; null when unknown. */
  order(id: string): Promise<Order | null>;
  /** Places an order; the idempotency key is the ERP's external reference, so a repeat returns the first order. */
  placeOrder(order: NewOrder): Promise<Order>;
}

const decimal = z.string().refine((text) => parseCents(text) !== undefined, 'a decimal amount');
const soapLine = z.object({ LineNumber: xsdInt, Sku: z.string(), Description: z.string(), Quantity: xsdInt, UnitPrice: decimal });
const soapOrder = z.object({
  OrderId: z.string(),
  CustomerId: z.string(),
  Status: z.enum(['PLACED', 'SHIPPED', 'DELIVERED', 'CANCELLED']),
  PlacedAt: z.string(),
  Currency: z.string().regex(/^[A-Z]{3}$/),
  Total: decimal,
  Lines: z.object({ Line: z.union([soapLine, z.array(soapLine)]) }),
  Payment: z.object({ Status: z.enum(['PENDING', 'PAID', 'REFUNDED', 'FAILED']), Method: z.enum(['CARD', 'INVOICE']), CardNumber: z.string().optional() }),
});
const soapOrders = z.object({ Order: z.union([soapOrder, z.array(soapOrder)]).optional() });
const soapPlaced = z.object({ Order: soapOrder });

/** The brand of a card from its number's issuer prefix. */
export function cardBrand(cardNumber: string): string {
  if (/^4/.test(cardNumber)) return 'VISA';
  if (/^(5[1-5]|2[2-7])/.test(cardNumber)) return 'MASTERCARD';
  if (/^3[47]/.test(cardNumber)) return 'AMEX';
  if (/^6(011|5)/.test(cardNumber)) return 'DISCOVER';
  return 'OTHER';
}

/** Maps the ERP's order, dropping the full card number on the spot: only brand and last four digits go further. */
function toOrder(order: z.infer<typeof soapOrder>): Order {
  const money = (cents: number): Money => ({ amount: formatCents(cents), currency: order.Currency });
  const card = order.Payment.CardNumber;
  return {
    id: order.OrderId,
    customerId: order.CustomerId,
    status: order.Status,
    placedAt: order.PlacedAt,
    total: money(parseCents(order.Total) as number),
    lines: asList(order.Lines.Line).map((line) => {
      const unit = parseCents(line.UnitPrice) as number;
      return {
        lineNumber: line.LineNumber,
        sku: line.Sku,
        description: line.Description,
        quantity: line.Quantity,
        unitPrice: money(unit),
        amount: money(unit * line.Quantity),
      };
    }),
    payment: {
      status: order.Payment.Status,
      method: order.Payment.Method,
      cardBrand: card ? cardBrand(card) : null,
      cardLast4: card ? card.slice(-4) : null,
    },
  };
}

/** The ERP's order faults that blame the caller's input, with what to tell the caller. */
const INPUT_FAULTS: Record<string, [message: string, argumentName: string]> = {
  UNKNOWN_CUSTOMER: ['input.customerId names no customer', 'input.customerId'],
  UNKNOWN_SKU: ['input.lines names a product that does not exist', 'input.lines'],
  INVALID_QUANTITY: ['input.lines quantities must be whole numbers from 1 to 999', 'input.lines'],
};

/** The ERP's SOAP order service behind the orders subgraph, with per-request batching. */
export class ErpClient implements OrdersBackend {
  // While the backend is down, a batch may be answered from its last good values (marked stale).
  private readonly byCustomer = new DataLoader<string, Order[]>((ids) => rememberingBatch((keys) => this.fetchByCustomers(keys), this.memory)(ids), {
    maxBatchSize: MAX_BATCH,
  });
  private readonly byId = new DataLoader<string, Order | null>((ids) => this.fetchByIds(ids), { maxBatchSize: MAX_BATCH });

  constructor(
    private readonly soap: SoapClient,
    private readonly memory?: Remembering<Order[]>,
    /** The request's: when it aborts (deadline passed, caller gone), pending calls end and no batch is sent. */
    private readonly signal?: AbortSignal,
  ) {}

  ordersOf(customerId: string): Promise<Order[]> {
    return this.byCustomer.load(customerId);
  }

  order(id: string): Promise<Order | null> {
    return this.byId.load(id);
  }

  async placeOrder(order: NewOrder): Promise<Order> {
    let result: z.infer<typeof soapPlaced>;
    try {
      result = await this.soap.call(
        'PlaceOrder',
        {
          CustomerId: order.customerId,
          ExternalReference: order.idempotencyKey,
          Line: order.lines.map((line) => ({ Sku: line.sku, Quantity: line.quantity })),
        },
        soapPlaced,
        // The ERP books an ExternalReference once, so a repeat after a lost answer returns the first order.
        'safe-to-retry',
        this.signal,
      );
    } catch (error) {
      // The ERP keeps the reference for another order: the key was used before for another request.
      if (error instanceof SoapClientFault && error.faultCode === 'REFERENCE_REUSED') throw idempotencyKeyReused();
      const known = error instanceof SoapClientFault ? INPUT_FAULTS[error.faultCode] : undefined;
      throw known ? badUserInput(...known) : error;
    }
    const placed = toOrder(result.Order);
    await this.memory?.fresh?.forget(placed.customerId);
    this.byCustomer.clear(placed.customerId);
    this.byId.prime(placed.id, placed);
    return placed;
  }

  private async fetchByCustomers(customerIds: readonly string[]): Promise<Order[][]> {
    const orders = await this.fetch('GetOrdersByCustomerIds', { CustomerId: [...customerIds] });
    return groupByKeys(customerIds, orders, (o) => o.customerId).map((list) => list.sort((a, b) => b.placedAt.localeCompare(a.placedAt)));
  }

  private async fetchByIds(ids: readonly string[]): Promise<(Order | null)[]> {
    return byKeys(ids, await this.fetch('GetOrdersByIds', { OrderId: [...ids] }), (o) => o.id);
  }

  private async fetch(operation: string, args: Record<string, unknown>): Promise<Order[]> {
    const orders = asList((await this.soap.call(operation, args, soapOrders, 'safe-to-retry', this.signal)).Order).map(toOrder);
    for (const order of orders) this.byId.prime(order.id, order);
    return orders;
  }
}
