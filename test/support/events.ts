import type { NewEvent } from '../../platform/events/event-log';

/** `count` order events for orders from-…, each from a source of its own. */
export const orderEvents = (from: number, count: number): NewEvent[] =>
  Array.from({ length: count }, (_, index) => ({
    type: 'order.updated',
    key: `order-${from + index}`,
    customerId: 'cust-1',
    attributes: { orderId: `order-${from + index}`, status: 'CONFIRMED' },
    source: `test:${from + index}`,
  }));

/** The event ids from `from` to `to`, as the log writes them. */
export const ids = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, index) => String(from + index));
