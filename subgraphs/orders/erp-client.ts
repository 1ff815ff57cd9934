import DataLoader from 'dataloader';
import type { GraphQLError } from 'graphql';
import { z } from 'zod';
import { formatCents, parseCents } from '../../platform/money';
import { byKeys, groupByKeys, MAX_BATCH } from '../kit/batch';
import { rememberingBatch, type Remembering } from '../kit/last-good';
import { badUserInput } from '../kit/errors';
import { idempotencyKeyReused } from '../kit/idempotency';
import { xsdBoolean, xsdCount, xsdInt } from '../kit/soap-answer';
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

/**
 * Where an order stands. A card order is PENDING_PAYMENT until its payment is authorised (CONFIRMED) or fails
 * (PAYMENT_FAILED); an invoice order is PLACED at once.
 */
const ORDER_STATUSES = ['PENDING_PAYMENT', 'CONFIRMED', 'PLACED', 'SHIPPED', 'DELIVERED', 'CANCELLED', 'PAYMENT_FAILED'] as const;

/** An order as the orders subgraph serves it. */
export interface Order {
  id: string;
  customerId: string;
  status: (typeof ORDER_STATUSES)[number];
  placedAt: string;
  total: Money;
  lines: OrderLine[];
  payment: Payment;
  /** The payment provider's reference (a PaymentIntent id) the ERP recorded when the order was confirmed. */
  paymentReference: string | null;
  /** Why the order was cancelled or its payment failed, as the canceller gave it. */
  statusReason: string | null;
  /** The reference it was booked under (a payment workflow's id), if any. */
  externalReference: string | null;
}

export interface NewOrder {
  customerId: string;
  lines: { sku: string; quantity: number }[];
  idempotencyKey: string;
  /** CARD books the order PENDING_PAYMENT until `confirmOrder`; INVOICE, the default, books it PLACED. */
  paymentMethod?: 'CARD' | 'INVOICE';
  /** The total the caller will charge, as a decimal: the ERP refuses the order (BAD_USER_INPUT) when its own differs. */
  expectedTotal?: string;
}

/**
 * The ERP refused to change an order because of where it stands: it does not exist (UNKNOWN_ORDER), it is closed
 * (ORDER_CLOSED) or it has shipped (NOT_CANCELLABLE). A failure for good: repeating the call cannot succeed.
 */
export class OrderStateConflict extends Error {
  constructor(
    readonly orderId: string,
    readonly faultCode: string,
    cause: unknown,
  ) {
    super(`the ERP refused to change order ${orderId}: ${faultCode}`, { cause });
    this.name = 'OrderStateConflict';
  }
}

/** One entry of the ERP's change feed: an order booked or its status changed. */
export interface OrderStatusChange {
  /** Its place in the feed: from 1, one more per change, never reused. */
  changeNumber: number;
  orderId: string;
  customerId: string;
  status: Order['status'];
  changedAt: string;
}

/** A page of the ERP's change feed. */
export interface OrderChangesPage {
  changes: OrderStatusChange[];
  /** Whether more changes follow the page. */
  more: boolean;
  /** The highest change number the ERP has given out. */
  last: number;
}

/** An order system's change feed: what the change-feed poller reads. */
export interface OrderChangeFeed {
  /** The changes after change number `after`, oldest first, at most `max` (1 to 500). */
  orderChanges(after: number, max: number): Promise<OrderChangesPage>;
}

/** What the orders subgraph needs from an order system. One instance per request: loads are batched within it. */
export interface OrdersBackend {
  /** A customer's orders, most recent first; batched with the request's other customers. */
  ordersOf(customerId: string): Promise<Order[]>;
  /** One order, batched; null when unknown. */
  order(id: string): Promise<Order | null>;
  /** Places an order; the idempotency key is the ERP's external reference, so a repeat returns the first order. */
  placeOrder(order: NewOrder): Promise<Order>;
  /**
   * Confirms a PENDING_PAYMENT order, recording the provider's payment reference; an order already past it is answered
   * unchanged. A closed or unknown order is an OrderStateConflict.
   */
  confirmOrder(orderId: string, paymentReference: string | null): Promise<Order>;
  /**
   * Ends an order that has not shipped as CANCELLED or PAYMENT_FAILED with a reason (at most 200 characters); an order
   * already ended is answered unchanged. A shipped or unknown order is an OrderStateConflict.
   */
  cancelOrder(orderId: string, outcome: 'CANCELLED' | 'PAYMENT_FAILED', reason: string): Promise<Order>;
  /** The orders in `status` placed before `placedBefore` (when given), oldest first, at most `limit` (1 to 500, default 500). */
  ordersInStatus(status: Order['status'], placedBefore?: Date, limit?: number): Promise<Order[]>;
}

const decimal = z.string().refine((text) => parseCents(text) !== undefined, 'a decimal amount');
const soapLine = z.object({ LineNumber: xsdInt, Sku: z.string(), Description: z.string(), Quantity: xsdInt, UnitPrice: decimal });
const soapOrder = z.object({
  OrderId: z.string(),
  CustomerId: z.string(),
  ExternalReference: z.string().optional(),
  Status: z.enum(ORDER_STATUSES),
  PlacedAt: z.string(),
  Currency: z.string().regex(/^[A-Z]{3}$/),
  Total: decimal,
  Lines: z.object({ Line: z.union([soapLine, z.array(soapLine)]) }),
  Payment: z.object({ Status: z.enum(['PENDING', 'PAID', 'REFUNDED', 'FAILED']), Method: z.enum(['CARD', 'INVOICE']), CardNumber: z.string().optional() }),
  PaymentReference: z.string().optional(),
  StatusReason: z.string().optional(),
});
const soapOrders = z.object({ Order: z.union([soapOrder, z.array(soapOrder)]).optional() });
/** The answer of an operation on one order (PlaceOrder's Created is not needed: a repeat is the same order). */
const soapOneOrder = z.object({ Order: soapOrder });

const soapChange = z.object({
  ChangeNumber: xsdCount,
  OrderId: z.string(),
  CustomerId: z.string(),
  Status: z.enum(ORDER_STATUSES),
  ChangedAt: z.string().refine((text) => !Number.isNaN(Date.parse(text)), 'an xsd:dateTime'),
});
const soapChanges = z.object({ Change: z.union([soapChange, z.array(soapChange)]).optional(), MoreChanges: xsdBoolean, LastChange: xsdCount });

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
    paymentReference: order.PaymentReference ?? null,
    statusReason: order.StatusReason ?? null,
    externalReference: order.ExternalReference ?? null,
  };
}

/** The ERP's order faults that blame the caller's input, with what to tell the caller. */
const INPUT_FAULTS: Record<string, [message: string, argumentName: string]> = {
  UNKNOWN_CUSTOMER: ['input.customerId names no customer', 'input.customerId'],
  UNKNOWN_SKU: ['input.lines names a product that does not exist', 'input.lines'],
  INVALID_QUANTITY: ['input.lines quantities must be whole numbers from 1 to 999', 'input.lines'],
};

/** The ERP's faults for a change an order's state does not allow. */
const STATE_FAULTS: ReadonlySet<string> = new Set(['UNKNOWN_ORDER', 'ORDER_CLOSED', 'NOT_CANCELLABLE']);

/** TOTAL_MISMATCH as the caller's error, with the ERP's total when its fault carries a readable one. */
function totalMismatch(fault: SoapClientFault): GraphQLError {
  const total = decimal.safeParse(fault.detail.Total);
  return badUserInput(`input.expectedTotal does not match the order's total${total.success ? `, ${total.data}` : ''}`, 'input.expectedTotal');
}

/** The ERP's SOAP order service behind the orders subgraph, with per-request batching. */
export class ErpClient implements OrdersBackend, OrderChangeFeed {
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
    let result: z.infer<typeof soapOneOrder>;
    try {
      result = await this.soap.call(
        'PlaceOrder',
        {
          CustomerId: order.customerId,
          ExternalReference: order.idempotencyKey,
          Line: order.lines.map((line) => ({ Sku: line.sku, Quantity: line.quantity })),
          ...(order.paymentMethod ? { PaymentMethod: order.paymentMethod } : {}),
          ...(order.expectedTotal !== undefined ? { ExpectedTotal: order.expectedTotal } : {}),
        },
        soapOneOrder,
        // The ERP books an ExternalReference once, so a repeat after a lost answer returns the first order.
        'safe-to-retry',
        this.signal,
      );
    } catch (error) {
      // The ERP keeps the reference for another order: the key was used before for another request.
      if (error instanceof SoapClientFault && error.faultCode === 'REFERENCE_REUSED') throw idempotencyKeyReused();
      if (error instanceof SoapClientFault && error.faultCode === 'TOTAL_MISMATCH') throw totalMismatch(error);
      const known = error instanceof SoapClientFault ? INPUT_FAULTS[error.faultCode] : undefined;
      throw known ? badUserInput(...known) : error;
    }
    return this.changed(toOrder(result.Order));
  }

  confirmOrder(orderId: string, paymentReference: string | null): Promise<Order> {
    return this.change('ConfirmOrder', orderId, { OrderId: orderId, ...(paymentReference === null ? {} : { PaymentReference: paymentReference }) });
  }

  cancelOrder(orderId: string, outcome: 'CANCELLED' | 'PAYMENT_FAILED', reason: string): Promise<Order> {
    return this.change('CancelOrder', orderId, { OrderId: orderId, Outcome: outcome, Reason: reason });
  }

  ordersInStatus(status: Order['status'], placedBefore?: Date, limit?: number): Promise<Order[]> {
    // Never from last good values: a reconciliation must see where orders stand now, or fail.
    return this.fetch('GetOrdersByStatus', {
      Status: status,
      ...(placedBefore ? { PlacedBefore: placedBefore.toISOString() } : {}),
      ...(limit !== undefined ? { Limit: limit } : {}),
    });
  }

  async orderChanges(after: number, max: number): Promise<OrderChangesPage> {
    // A read: a repeat after a lost answer reads the same page.
    const page = await this.soap.call('GetOrderChanges', { AfterChange: after, MaxChanges: max }, soapChanges, 'safe-to-retry', this.signal);
    return {
      changes: asList(page.Change).map((change) => ({
        changeNumber: change.ChangeNumber,
        orderId: change.OrderId,
        customerId: change.CustomerId,
        status: change.Status,
        changedAt: change.ChangedAt,
      })),
      more: page.MoreChanges,
      last: page.LastChange,
    };
  }

  /** Confirms or cancels an order at the ERP and answers it as it is now. */
  private async change(operation: 'ConfirmOrder' | 'CancelOrder', orderId: string, args: Record<string, unknown>): Promise<Order> {
    let result: z.infer<typeof soapOneOrder>;
    try {
      // The ERP answers an order already where the call would take it unchanged, so a repeat after a lost answer is harmless.
      result = await this.soap.call(operation, args, soapOneOrder, 'safe-to-retry', this.signal);
    } catch (error) {
      throw error instanceof SoapClientFault && STATE_FAULTS.has(error.faultCode) ? new OrderStateConflict(orderId, error.faultCode, error) : error;
    }
    return this.changed(toOrder(result.Order));
  }

  /** After a booking or a change, this request's loads show the order as the ERP answered it. */
  private async changed(order: Order): Promise<Order> {
    await this.memory?.fresh?.forget(order.customerId);
    this.byCustomer.clear(order.customerId);
    // prime never replaces what a loader holds: an order read before this change must go first.
    this.byId.clear(order.id).prime(order.id, order);
    return order;
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
