import { z } from 'zod';
import { setting } from '../../platform/env';
import type { Logger } from '../../platform/log';
import type { ErpOrder, OrderStatus } from '../seed/orders';
import type { OrderBook } from './order-book';

/** `off`, or a duration such as `500ms`, `30s` or `2m`. */
const PACE = /^(\d{1,7})(ms|s|m)$/;
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000 } as const;
const MIN_PACE_MS = 100;
const MAX_PACE_MS = 24 * 60 * 60_000;

/** A fulfilment pace as milliseconds per stage, or undefined for `off`. */
const paceVar = (defaultValue: string) =>
  z
    .string()
    .regex(/^(off|\d{1,7}(ms|s|m))$/, 'must be off or a duration such as 500ms, 30s or 2m')
    .transform((text) => {
      const match = PACE.exec(text);
      return match ? Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] : undefined;
    })
    .refine((ms) => ms === undefined || (ms >= MIN_PACE_MS && ms <= MAX_PACE_MS), `must be from ${MIN_PACE_MS}ms to 24h, or off`)
    .prefault(defaultValue);

/** What the ERP stand-in reads at start-up besides its port and faults. */
export const erpSettings = {
  /** How long an order stays in each fulfilment stage (paid, shipped) before it moves on; `off` leaves it to `/_admin`. */
  fulfilmentPaceMs: setting('ERP_FULFILMENT_PACE', paceVar('2m')),
};

/** Where fulfilment takes an order next: a paid (CONFIRMED) or invoice (PLACED) order ships, then is delivered. */
const NEXT_STAGE: Partial<Record<OrderStatus, OrderStatus>> = { CONFIRMED: 'SHIPPED', PLACED: 'SHIPPED', SHIPPED: 'DELIVERED' };

/** Longest wait between two looks for orders due to move on, so a long pace is still kept to within a second. */
const MAX_TICK_MS = 1_000;

/**
 * The ERP's warehouse: moves orders through fulfilment at its pace, and at once when asked. Only orders changed since
 * the seed move on their own (the seed is settled history); any order moves when asked. Each move is a journaled
 * change, so it is in the change feed and survives a restart.
 */
export class Fulfilment {
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly book: OrderBook,
    private readonly log: Logger,
    paceMs: number | undefined,
  ) {
    if (paceMs === undefined) return;
    this.timer = setInterval(() => this.moveDue(paceMs), Math.min(paceMs / 2, MAX_TICK_MS));
    this.timer.unref();
  }

  /** Takes an order to its next stage and answers it as it is now; undefined when it has none (unpaid, delivered or ended). */
  advance(order: ErpOrder): ErpOrder | undefined {
    const next = NEXT_STAGE[order.status];
    if (!next) return undefined;
    const moved = this.book.change({ orderId: order.orderId, status: next });
    this.log.info({ orderId: order.orderId, status: next }, 'order moved on');
    return moved;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private moveDue(paceMs: number): void {
    const due = Date.now() - paceMs;
    const orders = [...this.book.changedSinceSeed()].filter(({ order, changedAt }) => NEXT_STAGE[order.status] && Date.parse(changedAt) <= due);
    try {
      orders.forEach(({ order }) => this.advance(order));
    } catch (error) {
      // The journal could not be written (disk full, say): the orders stay where they are and the next tick tries again.
      this.log.error({ err: error }, 'fulfilment: an order could not move on');
    }
  }
}
