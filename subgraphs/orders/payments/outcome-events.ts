import type { NewEvent } from '../../../platform/events/event-log';
import type { PaymentRecord } from './records';

/** Where an order stands in the ERP once its workflow ended so: a confirmed invoice order was PLACED at booking. */
const orderStatusAfter = (record: PaymentRecord, outcome: 'CONFIRMED' | 'PAYMENT_FAILED' | 'CANCELLED'): string =>
  outcome === 'CONFIRMED' && record.method === 'INVOICE' ? 'PLACED' : outcome;

/** A payment where its record now stands, under `source`. */
export const paymentEvent = (source: string, record: PaymentRecord & { orderId: string }): NewEvent => ({
  type: 'payment.updated',
  key: record.orderId,
  customerId: record.customerId,
  attributes: { orderId: record.orderId, status: record.status },
  source,
});

/**
 * The events a workflow's outcome announces: the order where it now stands, and its payment as recorded. `source`
 * names the outcome (`workflow:<id>`, say): the events are `<source>:order` and `<source>:payment`, so a step run again
 * after a crash records nothing twice.
 */
export function outcomeEvents(source: string, record: PaymentRecord & { orderId: string }, outcome: 'CONFIRMED' | 'PAYMENT_FAILED' | 'CANCELLED'): NewEvent[] {
  const { orderId, customerId } = record;
  return [
    { type: 'order.updated', key: orderId, customerId, attributes: { orderId, status: orderStatusAfter(record, outcome) }, source: `${source}:order` },
    paymentEvent(`${source}:payment`, record),
  ];
}

/** The event of a payment authorized by a workflow, once per workflow. */
export const authorizedEvent = (workflowId: string, orderId: string, customerId: string): NewEvent => ({
  type: 'payment.updated',
  key: orderId,
  customerId,
  attributes: { orderId, status: 'AUTHORIZED' },
  source: `workflow:${workflowId}:authorized`,
});
