import { DBOS } from '@dbos-inc/dbos-sdk';
import { Counter } from 'prom-client';
import type { Order } from '../erp-client';
import type { Intent } from '../payment-provider';
import { paymentEvent } from './outcome-events';
import type { WorkflowParts } from './place-order';

export const repairs = new Counter({
  name: 'atrium_payment_repairs_total',
  help: 'What the reconciliation job repaired, by repair (captured, released, refunded, compensated).',
  labelNames: ['repair'] as const,
});

/** How far back reconciliation looks at the provider's intents. */
const LOOKBACK_MS = 7 * 24 * 60 * 60_000;
/** Statuses that mean a workflow is still at work on its order: reconciliation leaves it alone. */
const LIVE = new Set(['PENDING', 'ENQUEUED']);
const closed = (order: Order | null) => !order || order.status === 'CANCELLED' || order.status === 'PAYMENT_FAILED';

/** What reconciliation decides for one intent and its order. */
type Repair = 'captured' | 'released' | 'refunded' | 'compensated';

function repairFor(intent: Intent, order: Order | null, overdue: boolean): Repair | null {
  if (intent.status === 'requires_capture' && order?.status === 'CONFIRMED') return 'captured';
  if (intent.status === 'requires_capture' && closed(order)) return 'released';
  if (intent.status === 'requires_capture' && order?.status === 'PENDING_PAYMENT' && overdue) return 'compensated';
  if (intent.status === 'succeeded' && closed(order) && intent.amountRefunded < intent.amountReceived) return 'refunded';
  return null;
}

/** Cron for DBOS's scheduler from a period in milliseconds (seconds or minutes that divide an hour or a minute). */
export function cronOf(everyMs: number): string {
  const seconds = Math.round(everyMs / 1000);
  if (seconds < 60) return `*/${seconds} * * * * *`;
  return `0 */${Math.round(seconds / 60)} * * * *`;
}

/**
 * Registers the reconciliation workflow (before launch). It compares the provider's intents with the ERP's orders and
 * repairs what a crash, an outage or a stuck workflow left: an authorization for a confirmed order is captured, one for
 * a closed order released, a capture for a cancelled order refunded, and an order left waiting for payment past the
 * deadline compensated. Every repair uses the workflow's own idempotency keys, so it never does twice what the
 * workflow did once. Scheduled by every replica; DBOS runs each period once (its workflow id is the period's).
 */
export function registerReconciliation(parts: WorkflowParts, pendingDeadlineMs: () => number) {
  // Read at run time, not here: a process registers its workflows once, and a restarted runtime brings new parts.

  const repair = async (what: Repair, intent: Intent | null, order: Order | null, reference: string) => {
    await DBOS.runStep(
      async () => {
        if (what === 'captured' && intent) {
          await parts.provider.capture(intent.id, `${reference}:capture`);
          await parts.records.change(reference, { status: 'PAID', capturedAt: new Date(), state: 'CONFIRMED' });
        }
        if ((what === 'released' || what === 'compensated') && intent) {
          await parts.provider.cancel(intent.id, 'abandoned', `${reference}:cancel`);
          await parts.records.change(reference, { status: 'CANCELLED' });
        }
        if (what === 'refunded' && intent) {
          await parts.provider.refund(intent.id, `${reference}:refund`);
          await parts.records.change(reference, { status: 'REFUNDED', refundedAt: new Date() });
        }
        if (what === 'compensated' && order) {
          await parts.erp().cancelOrder(order.id, 'CANCELLED', 'payment never completed');
          await parts.records.change(reference, { state: 'CANCELLED', failureReason: 'payment never completed' });
        }
        // The order's own change reaches the event log through the ERP's feed; the payment's only from here.
        const record = await parts.records.byWorkflowId(reference);
        if (record?.orderId) await parts.events.record([paymentEvent(`repair:${reference}:${what}`, { ...record, orderId: record.orderId })]);
      },
      { name: `${what}:${intent?.id ?? order?.id}` },
    );
    repairs.inc({ repair: what });
    parts.log.info({ repair: what, orderId: order?.id ?? intent?.orderId, intentId: intent?.id }, 'payment repaired');
  };

  const reconcile = DBOS.registerWorkflow(
    async (scheduledAt: Date): Promise<void> => {
      const since = new Date(scheduledAt.getTime() - LOOKBACK_MS);
      const intents = await DBOS.runStep(
        async () => {
          const found: Intent[] = [];
          for await (const intent of parts.provider.intentsCreatedSince(since)) if (intent.workflowId && intent.orderId) found.push(intent);
          return found;
        },
        { name: 'listIntents' },
      );
      const overdueBefore = new Date(scheduledAt.getTime() - pendingDeadlineMs());
      const orders = await DBOS.runStep(
        async () => {
          const erp = parts.erp();
          const byId = await Promise.all(intents.map((intent) => erp.order(intent.orderId as string)));
          return { byId, overdue: await erp.ordersInStatus('PENDING_PAYMENT', overdueBefore) };
        },
        { name: 'readOrders' },
      );
      const live = await DBOS.runStep(
        async () => {
          const references = [
            ...new Set([...intents.map((intent) => intent.workflowId as string), ...orders.overdue.flatMap((order) => order.externalReference ?? [])]),
          ];
          const statuses = await Promise.all(references.map(async (id) => [id, (await DBOS.getWorkflowStatus(id))?.status] as const));
          return statuses.filter(([, status]) => status !== undefined && LIVE.has(status)).map(([id]) => id);
        },
        { name: 'liveWorkflows' },
      );
      const seen = new Set<string>();
      for (const [i, intent] of intents.entries()) {
        const order = orders.byId[i] ?? null;
        if (order) seen.add(order.id);
        if (live.includes(intent.workflowId as string)) continue;
        const overdue = order !== null && new Date(order.placedAt) < overdueBefore;
        const what = repairFor(intent, order, overdue);
        if (what) await repair(what, intent, order, intent.workflowId as string);
      }
      for (const order of orders.overdue) {
        if (seen.has(order.id) || !order.externalReference || live.includes(order.externalReference)) continue;
        await repair('compensated', null, order, order.externalReference);
      }
    },
    { name: 'reconcilePayments' },
  );
  return { reconcile };
}
