import { openJournal, type Journal } from '../kit/journal';
import type { ErpOrder, OrderStatus, PaymentStatus } from '../seed/orders';

/** A change to an order already booked: its new status and what came with it. */
export interface OrderChange {
  orderId: string;
  status: OrderStatus;
  paymentReference?: string;
  statusReason?: string;
  paymentStatus?: PaymentStatus;
}

/** One line of the ERP's journal: an order booked, or a change to one (with when; lines before the change feed have none). */
export type JournalLine = { kind: 'placed'; order: ErpOrder } | ({ kind: 'changed'; at?: string } & OrderChange);

/** One entry of the ERP's change feed: an order booked or its status changed, numbered in journal order from 1. */
export interface FeedChange {
  changeNumber: number;
  orderId: string;
  customerId: string;
  status: OrderStatus;
  changedAt: string;
}

/** Journals written before orders could change hold bare orders, one a line: each is a booking. */
type StoredLine = JournalLine | ErpOrder;

const asJournalLine = (stored: StoredLine): JournalLine => ('kind' in stored ? stored : { kind: 'placed', order: stored });

/**
 * The ERP's orders: the seed, with what was booked and changed since replayed from the journal under `stateDir`.
 * Every booking and change is journaled before it is applied, so what was answered survives a restart, and is numbered
 * in the change feed in journal order.
 */
export class OrderBook {
  private readonly byId = new Map<string, ErpOrder>();
  private readonly byReference = new Map<string, ErpOrder>();
  private readonly byCustomer = new Map<string, ErpOrder[]>();
  private readonly journal: Journal<StoredLine>;
  /** Every journaled booking and change, in journal order: the change feed. */
  private readonly feed: FeedChange[] = [];
  /** When each order with a journaled history last changed: the orders that move on since the seed. */
  private readonly lastChanged = new Map<string, string>();

  constructor(seed: readonly ErpOrder[], stateDir: string) {
    seed.forEach((order) => this.record(order));
    this.journal = openJournal<StoredLine>(stateDir);
    this.journal.replayed.map(asJournalLine).forEach((line) => this.replay(line));
  }

  /** The id the next booking gets. */
  nextOrderId(): string {
    return `ord-${this.byId.size + 1}`;
  }

  get(orderId: string): ErpOrder | undefined {
    return this.byId.get(orderId);
  }

  withReference(externalReference: string): ErpOrder | undefined {
    return this.byReference.get(externalReference);
  }

  /** A customer's orders, most recent first. */
  ofCustomer(customerId: string): readonly ErpOrder[] {
    return this.byCustomer.get(customerId) ?? [];
  }

  /** The orders in `status` placed before `placedBefore` (when given), oldest first, at most `limit`. */
  inStatus(status: OrderStatus, placedBefore: Date | undefined, limit: number): ErpOrder[] {
    const before = placedBefore?.getTime() ?? Infinity;
    // The sort is stable: orders placed in the same second stay in booking order.
    return [...this.byId.values()]
      .filter((order) => order.status === status && Date.parse(order.placedAt) < before)
      .sort((a, b) => a.placedAt.localeCompare(b.placedAt))
      .slice(0, limit);
  }

  /** The feed's changes after change number `after`, oldest first, at most `max`; whether more follow; the last number given. */
  changes(after: number, max: number): { changes: FeedChange[]; more: boolean; last: number } {
    // Change numbers are positions in the feed, so the page is a slice.
    const start = Math.min(Math.max(after, 0), this.feed.length);
    return { changes: this.feed.slice(start, start + max), more: start + max < this.feed.length, last: this.feed.length };
  }

  /** The orders changed since the seed, with when each last changed. */
  *changedSinceSeed(): Generator<{ order: ErpOrder; changedAt: string }> {
    for (const [orderId, changedAt] of this.lastChanged) yield { order: this.byId.get(orderId) as ErpOrder, changedAt };
  }

  /** Books a new order. */
  place(order: ErpOrder): void {
    this.journal.append({ kind: 'placed', order });
    this.replay({ kind: 'placed', order });
  }

  /** Changes a booked order and answers it as it is now. */
  change(change: OrderChange): ErpOrder {
    const line: JournalLine = { kind: 'changed', ...change, at: new Date().toISOString() };
    this.journal.append(line);
    return this.replay(line);
  }

  /** Applies a journal line and enters it in the feed. */
  private replay(line: JournalLine): ErpOrder {
    const order = line.kind === 'placed' ? line.order : this.apply(line);
    if (line.kind === 'placed') this.record(order);
    // A change journaled before changes carried their time is dated by its order's booking, the best known.
    const changedAt = line.kind === 'changed' && line.at ? line.at : order.placedAt;
    this.feed.push({ changeNumber: this.feed.length + 1, orderId: order.orderId, customerId: order.customerId, status: order.status, changedAt });
    this.lastChanged.set(order.orderId, changedAt);
    return order;
  }

  private record(order: ErpOrder): void {
    this.byId.set(order.orderId, order);
    if (order.externalReference) this.byReference.set(order.externalReference, order);
    const list = this.byCustomer.get(order.customerId) ?? [];
    list.push(order);
    list.sort((a, b) => b.placedAt.localeCompare(a.placedAt));
    this.byCustomer.set(order.customerId, list);
  }

  /** Changes the order in place: every index holds the same object. */
  private apply({ orderId, status, paymentReference, statusReason, paymentStatus }: OrderChange): ErpOrder {
    const order = this.byId.get(orderId);
    // Only a journal from another seed could name an order that does not exist: refuse it rather than serve half of it.
    if (!order) throw new Error(`the ERP journal changes order ${orderId}, which was never booked`);
    order.status = status;
    if (paymentReference !== undefined) order.paymentReference = paymentReference;
    if (statusReason !== undefined) order.statusReason = statusReason;
    if (paymentStatus !== undefined) order.payment = { ...order.payment, status: paymentStatus };
    return order;
  }
}
