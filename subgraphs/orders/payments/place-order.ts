import { DBOS } from '@dbos-inc/dbos-sdk';
import type { EventRecorder } from '../../../platform/events/sequencer';
import type { Logger } from '../../../platform/log';
import { parseCents } from '../../../platform/money';
import type { NewOrder, Order, OrdersBackend } from '../erp-client';
import type { CardSummary, PaymentProvider } from '../payment-provider';
import { authorizedEvent, outcomeEvents } from './outcome-events';
import type { PaymentRecords } from './records';
import type { StepOutcome, StepRunner } from './steps';

/** What a client asked for: an order, and how it pays (a provider's payment method, or by invoice when null). */
export interface OrderRequest {
  customerId: string;
  lines: NewOrder['lines'];
  paymentMethod: string | null;
  expectedTotal: string | null;
}

/** A placeOrder workflow's input: the request, the card it pays with, and the reference its keys derive from. */
export interface PlaceOrderArgs {
  /** The workflow's first id: the ERP's external reference and the stem of every provider idempotency key. */
  reference: string;
  request: OrderRequest;
  /** Brand and last four digits of the payment method (never the number). */
  card: CardSummary | null;
}

export type PlaceOrderOutcome =
  | { outcome: 'CONFIRMED'; orderId: string }
  | { outcome: 'PAYMENT_FAILED' | 'CANCELLED'; orderId: string; reason: string; declineCode: string | null }
  /** The ERP refused the request (unknown customer, wrong total…) or could not be reached: nothing was booked. */
  | { outcome: 'REJECTED'; reason: string; code: string | null; argumentName: string | null };

/** What the workflows work with, for the life of the process. */
export interface WorkflowParts {
  /** A fresh ERP adapter: its DataLoaders must not keep answers from one step to the next. */
  erp(): OrdersBackend;
  provider: PaymentProvider;
  records: PaymentRecords;
  /** Where outcomes are announced: the shared event log. */
  events: EventRecorder;
  steps: StepRunner;
  log: Logger;
}

/** Compensations are given this many times the steps' attempts: giving up on one leaves money or stock stuck. */
const COMPENSATION_PATIENCE = 3;

/** How a workflow that booked an order ends. */
type Settled = Exclude<PlaceOrderOutcome['outcome'], 'REJECTED'>;

const failed = (outcome: StepOutcome<unknown>): string => (outcome.ok ? '' : outcome.reason);

/**
 * Registers the workflows with DBOS (before launch): `placeOrder` books the order as pending in the ERP, authorizes
 * the payment (announced), confirms the order, captures the payment and announces the outcome in the event log, each
 * step once in effect; a step
 * that fails for good undoes the ones before it (the operator's cancellation is in operator-cancel.ts).
 */
export function registerOrderWorkflows(parts: WorkflowParts) {
  // Read at run time, not here: a process registers its workflows once, and a restarted runtime brings new parts.

  /** Records the outcome and announces it in the event log: the order where it stands, and its payment. */
  const settle = async (reference: string, orderId: string, state: Settled, reason: string | null): Promise<void> => {
    await parts.steps.run(reference, 'publish', async () => {
      await parts.records.change(reference, { state, ...(reason ? { failureReason: reason } : {}) });
      const record = await parts.records.byWorkflowId(reference);
      if (!record) throw new Error(`no payment record for workflow ${reference}`);
      await parts.events.record(outcomeEvents(`workflow:${reference}`, { ...record, orderId }, state));
    });
  };

  /** Undoes what was done: the authorization released, the order closed with `outcome`; STUCK (and an error) when that fails too. */
  const compensate = async (reference: string, orderId: string, intentId: string | null, outcome: 'PAYMENT_FAILED' | 'CANCELLED', reason: string) => {
    if (intentId) {
      const released = await parts.steps.run(
        reference,
        'cancelAuthorization',
        async () => {
          await parts.provider.cancel(intentId, 'abandoned', `${reference}:cancel`);
          await parts.records.change(reference, { status: 'CANCELLED' });
        },
        COMPENSATION_PATIENCE,
      );
      if (!released.ok) return stuck(reference, `authorization not released: ${released.reason}`);
    }
    const closed = await parts.steps.run(
      reference,
      'cancelOrder',
      async () => {
        await parts.erp().cancelOrder(orderId, outcome, reason);
        await parts.records.change(reference, {
          state: outcome,
          failureReason: reason,
          ...(intentId ? {} : { status: outcome === 'PAYMENT_FAILED' ? 'FAILED' : 'CANCELLED' }),
        });
      },
      COMPENSATION_PATIENCE,
    );
    if (!closed.ok) return stuck(reference, `order not cancelled: ${closed.reason}`);
    await settle(reference, orderId, outcome, reason);
  };

  const stuck = async (reference: string, reason: string): Promise<never> => {
    await DBOS.runStep(() => parts.records.change(reference, { state: 'STUCK', failureReason: reason }), { name: 'markStuck' });
    // The workflow ends in error: `npm run workflows -- list --stuck` shows it, `retry` runs it again from that step.
    throw new Error(`workflow ${reference} is stuck: ${reason}`);
  };

  const placeOrder = DBOS.registerWorkflow(
    async ({ reference, request, card }: PlaceOrderArgs): Promise<PlaceOrderOutcome> => {
      const method = request.paymentMethod ? 'CARD' : 'INVOICE';
      const created = await parts.steps.run(reference, 'createOrder', async (): Promise<Order> => {
        await parts.records.begin({ workflowId: reference, customerId: request.customerId, method });
        const order = await parts.erp().placeOrder({
          customerId: request.customerId,
          lines: request.lines,
          idempotencyKey: reference,
          paymentMethod: method,
          ...(request.expectedTotal ? { expectedTotal: request.expectedTotal } : {}),
        });
        // The ERP's total is a decimal string it checked; cents are exact integers from here on.
        const amountCents = parseCents(order.total.amount) as number;
        await parts.records.change(reference, {
          orderId: order.id,
          amountCents,
          currency: order.total.currency,
          cardBrand: card?.brand.toUpperCase() ?? null,
          cardLast4: card?.last4 ?? null,
        });
        return order;
      });
      if (!created.ok) {
        await DBOS.runStep(() => parts.records.change(reference, { state: 'REJECTED', failureReason: created.reason }), { name: 'markRejected' });
        return { outcome: 'REJECTED', reason: created.reason, code: created.code ?? null, argumentName: created.argumentName ?? null };
      }
      const order = created.value;
      await DBOS.setEvent('orderId', order.id);

      // Paid by invoice, the order was booked as PLACED and is done; paid by card, the payment comes first.
      if (request.paymentMethod) {
        const paymentMethod = request.paymentMethod;
        const authorized = await parts.steps.run(reference, 'authorize', async () => {
          const intent = await parts.provider.authorize({
            amountCents: parseCents(order.total.amount) as number,
            currency: order.total.currency.toLowerCase(),
            paymentMethod,
            orderId: order.id,
            workflowId: reference,
            idempotencyKey: `${reference}:authorize`,
          });
          await parts.records.change(reference, { status: 'AUTHORIZED', intentId: intent.id, authorizedAt: new Date() });
          await parts.events.record([authorizedEvent(reference, order.id, request.customerId)]);
          return intent.id;
        });
        if (!authorized.ok) {
          const declineCode = authorized.kind === 'declined' ? (authorized.declineCode ?? null) : null;
          await DBOS.runStep(() => parts.records.change(reference, { status: 'FAILED', failureReason: authorized.reason }), { name: 'markDeclined' });
          await compensate(reference, order.id, null, 'PAYMENT_FAILED', authorized.reason);
          return { outcome: 'PAYMENT_FAILED', orderId: order.id, reason: authorized.reason, declineCode };
        }
        const intentId = authorized.value;
        const confirmed = await parts.steps.run(reference, 'confirmOrder', () => parts.erp().confirmOrder(order.id, intentId));
        if (!confirmed.ok) {
          const reason = `order not confirmed: ${failed(confirmed)}`;
          await compensate(reference, order.id, intentId, 'CANCELLED', reason);
          return { outcome: 'CANCELLED', orderId: order.id, reason, declineCode: null };
        }
        const captured = await parts.steps.run(reference, 'capture', async () => {
          await parts.provider.capture(intentId, `${reference}:capture`);
          await parts.records.change(reference, { status: 'PAID', capturedAt: new Date() });
        });
        if (!captured.ok) {
          const reason = `payment not captured: ${failed(captured)}`;
          await compensate(reference, order.id, intentId, 'CANCELLED', reason);
          return { outcome: 'CANCELLED', orderId: order.id, reason, declineCode: null };
        }
      }
      await settle(reference, order.id, 'CONFIRMED', null);
      return { outcome: 'CONFIRMED', orderId: order.id };
    },
    { name: 'placeOrder' },
  );

  return { placeOrder };
}
