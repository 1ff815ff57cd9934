import { DBOS } from '@dbos-inc/dbos-sdk';
import { GraphQLError } from 'graphql';
import type { Identity } from '../../../platform/identity';
import { BackendUnavailableError, badUserInput } from '../../kit/errors';
import { idempotencyKeyReused, idempotencyReference, inProgress, requestFingerprint } from '../../kit/idempotency';
import type { Order, OrdersBackend } from '../erp-client';
import { PaymentTemporarilyUnavailable, type PaymentProvider } from '../payment-provider';
import type { OrderRequest, PlaceOrderArgs, PlaceOrderOutcome } from './place-order';

/** How often a joined workflow's outcome is looked for (DBOS's default, 1 s, would add up to a second to a retry). */
const RESULT_POLL_MS = 50;

type PlaceOrderWorkflow = (args: PlaceOrderArgs & { fingerprint: string }) => Promise<PlaceOrderOutcome>;

/** The card was declined: nothing was charged, and the order was closed as PAYMENT_FAILED. */
const paymentDeclined = (orderId: string, declineCode: string | null) =>
  new GraphQLError(`the payment was declined${declineCode ? ` (${declineCode})` : ''}; nothing was charged`, {
    extensions: { code: 'PAYMENT_DECLINED', declineCode, orderId, argumentName: 'input.paymentMethod' },
  });

/** What `placeOrder` asks of order placement (a test may give its own). */
export interface OrderPlacing {
  place(caller: Identity, key: string, request: OrderRequest, orders: OrdersBackend): Promise<Order>;
}

/**
 * How `placeOrder` starts and answers a workflow: one workflow per caller and idempotency key, so a retry joins the
 * first one; the answer waits for its outcome up to `waitMs`, then gives the order as it stands.
 */
export class OrderPlacement implements OrderPlacing {
  constructor(
    private readonly workflow: PlaceOrderWorkflow,
    private readonly provider: PaymentProvider,
    private readonly waitMs: number,
  ) {}

  /** The workflow id of a caller's key (also the ERP's external reference). */
  static workflowIdOf(caller: Identity, key: string): string {
    return `order-${idempotencyReference(caller, key)}`;
  }

  async place(caller: Identity, key: string, request: OrderRequest, orders: OrdersBackend): Promise<Order> {
    const workflowID = OrderPlacement.workflowIdOf(caller, key);
    const fingerprint = requestFingerprint(request);
    const existing = await DBOS.getWorkflowStatus(workflowID);
    let started: Promise<PlaceOrderOutcome> | undefined;
    if (!existing) {
      const card = request.paymentMethod ? await this.cardOf(request.paymentMethod) : null;
      const handle = await DBOS.startWorkflow(this.workflow, { workflowID })({ reference: workflowID, request, card, fingerprint });
      started = handle.getResult();
      // Awaited below unless the request is refused first; its failure is then the workflow's to record, not ours.
      started.catch(() => undefined);
    }
    // Checked after starting too: of two first requests racing with one key, the second joins the first's workflow.
    const status = existing ?? (await DBOS.getWorkflowStatus(workflowID));
    const first = status?.input?.[0] as { fingerprint?: string } | undefined;
    if (first?.fingerprint !== fingerprint) throw idempotencyKeyReused();
    const outcome = await this.outcomeWithin(workflowID, started);
    if (outcome?.outcome === 'REJECTED') {
      if (outcome.code === 'BAD_USER_INPUT') throw badUserInput(outcome.reason, outcome.argumentName ?? undefined);
      if (outcome.code === 'IDEMPOTENCY_KEY_REUSED') throw idempotencyKeyReused();
      throw new BackendUnavailableError('ERP', undefined, 'nothing was booked');
    }
    if (outcome?.outcome === 'PAYMENT_FAILED' && outcome.declineCode !== null) throw paymentDeclined(outcome.orderId, outcome.declineCode);
    const orderId = outcome?.orderId ?? (await DBOS.getEvent<string>(workflowID, 'orderId', 0));
    if (!orderId) throw inProgress();
    const order = await orders.order(orderId);
    if (!order) throw inProgress();
    return order;
  }

  /**
   * The workflow's outcome if it comes within the wait, else null; null too when it ended stuck (a compensation
   * failed): the order is then answered as it stands, and agents see why.
   */
  private async outcomeWithin(workflowID: string, started?: Promise<PlaceOrderOutcome>): Promise<PlaceOrderOutcome | null> {
    if (this.waitMs === 0) return null;
    // A workflow started here is awaited in memory; one started before (a retry, another replica) is polled for.
    const result = started ?? DBOS.getResult<PlaceOrderOutcome>(workflowID, { timeoutSeconds: this.waitMs / 1000, pollingIntervalMs: RESULT_POLL_MS });
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), this.waitMs)));
    try {
      return await Promise.race([result, waited]);
    } catch {
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  private async cardOf(paymentMethod: string) {
    try {
      const card = await this.provider.paymentMethod(paymentMethod);
      if (!card) throw badUserInput('input.paymentMethod names no payment method the payment provider knows', 'input.paymentMethod');
      return card;
    } catch (error) {
      if (error instanceof PaymentTemporarilyUnavailable) throw new BackendUnavailableError('payment provider', error);
      throw error;
    }
  }
}
