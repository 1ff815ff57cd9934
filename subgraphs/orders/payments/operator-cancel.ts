import { DBOS } from '@dbos-inc/dbos-sdk';
import { outcomeEvents } from './outcome-events';
import type { WorkflowParts } from './place-order';

/** The queue `npm run workflows -- cancel` puts its work on; the orders subgraph's processes take it from there. */
export const OPERATOR_QUEUE = 'operator';
export const CANCEL_WORKFLOW = 'cancelPlacedOrder';

/**
 * Registers the operator's cancellation (before launch): whatever the order's payment reached, it is undone — an
 * authorization released, a capture refunded — and the order cancelled in the ERP, with the placing workflow's own
 * keys, so nothing the workflow did is done twice.
 */
export function registerOperatorCancel(parts: WorkflowParts) {
  // Read at run time, not here: a process registers its workflows once, and a restarted runtime brings new parts.
  return DBOS.registerWorkflow(
    async (reference: string, reason: string): Promise<{ orderId: string | null; released: boolean; refunded: boolean }> => {
      // Names this cancellation's events: the placing workflow's outcome already has its own.
      const cancellation = `cancel:${DBOS.workflowID as string}`;
      const record = await DBOS.runStep(() => parts.records.byWorkflowId(reference), { name: 'readRecord' });
      if (!record) throw new Error(`no payment workflow ${reference}`);
      let released = false;
      let refunded = false;
      if (record.intentId) {
        const intentId = record.intentId;
        const intent = await DBOS.runStep(() => parts.provider.intent(intentId), { name: 'readIntent' });
        if (intent?.status === 'requires_capture') {
          await DBOS.runStep(() => parts.provider.cancel(intentId, 'requested_by_customer', `${reference}:cancel`), { name: 'release' });
          await DBOS.runStep(() => parts.records.change(reference, { status: 'CANCELLED' }), { name: 'recordRelease' });
          released = true;
        }
        if (intent?.status === 'succeeded' && intent.amountRefunded < intent.amountReceived) {
          await DBOS.runStep(() => parts.provider.refund(intentId, `${reference}:refund`), { name: 'refund' });
          await DBOS.runStep(() => parts.records.change(reference, { status: 'REFUNDED', refundedAt: new Date() }), { name: 'recordRefund' });
          refunded = true;
        }
      }
      if (record.orderId) {
        const orderId = record.orderId;
        await DBOS.runStep(() => parts.erp().cancelOrder(orderId, 'CANCELLED', reason), { name: 'cancelOrder' });
        await DBOS.runStep(
          async () => {
            await parts.records.change(reference, { state: 'CANCELLED', failureReason: reason });
            const cancelled = await parts.records.byWorkflowId(reference);
            if (cancelled) await parts.events.record(outcomeEvents(cancellation, { ...cancelled, orderId }, 'CANCELLED'));
          },
          { name: 'recordCancel' },
        );
      }
      return { orderId: record.orderId, released, refunded };
    },
    { name: CANCEL_WORKFLOW },
  );
}
