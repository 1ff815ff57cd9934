import DataLoader from 'dataloader';
import { byKeys } from '../../kit/batch';
import type { Order, Payment } from '../erp-client';
import type { PaymentRecord, PaymentRecords, StepRecord, WorkflowState } from './records';

/** Where the reads come from: the payment records (an in-memory list in resolver tests). */
export type PaymentSource = Pick<PaymentRecords, 'byOrderIds' | 'steps'>;

/** An order's payment as agents read it: the ERP's, completed by the workflow's record when the order has one. */
export interface PaymentView extends Omit<Payment, 'status'> {
  status: PaymentRecord['status'];
  /** RFC 3339, as the DateTime scalar serves it. */
  authorizedAt: string | null;
  capturedAt: string | null;
  refundedAt: string | null;
  failureReason: string | null;
}

export interface StepView extends Omit<StepRecord, 'at' | 'workflowId'> {
  at: string;
}

export interface WorkflowView {
  status: WorkflowState;
  startedAt: string;
  updatedAt: string;
  steps: StepView[];
}

const iso = (date: Date | null) => date?.toISOString() ?? null;

/** One request's reads of payment records, batched: a page of orders costs one query for payments and one for steps. */
export class PaymentReads {
  private readonly records = new DataLoader<string, PaymentRecord | null>(async (orderIds) =>
    byKeys(orderIds, await this.source.byOrderIds(orderIds), (record) => record.orderId ?? ''),
  );
  private readonly steps = new DataLoader<string, StepRecord[]>(async (workflowIds) => {
    const all = await this.source.steps(workflowIds);
    return workflowIds.map((id) => all.filter((step) => step.workflowId === id));
  });

  constructor(private readonly source: PaymentSource) {}

  async paymentOf(order: Order): Promise<PaymentView> {
    const record = await this.records.load(order.id);
    const fromErp = { ...order.payment, authorizedAt: null, capturedAt: null, refundedAt: null, failureReason: order.statusReason };
    if (!record) return fromErp;
    return {
      ...fromErp,
      status: record.status,
      cardBrand: record.cardBrand ?? order.payment.cardBrand,
      cardLast4: record.cardLast4 ?? order.payment.cardLast4,
      authorizedAt: iso(record.authorizedAt),
      capturedAt: iso(record.capturedAt),
      refundedAt: iso(record.refundedAt),
      failureReason: record.failureReason,
    };
  }

  /** The workflow that placed the order; null for orders placed otherwise (the seed's, say). */
  async workflowOf(order: Order): Promise<WorkflowView | null> {
    const record = await this.records.load(order.id);
    if (!record) return null;
    const steps = await this.steps.load(record.workflowId);
    return {
      status: record.state,
      startedAt: record.createdAt.toISOString(),
      updatedAt: record.updatedAt.toISOString(),
      steps: steps.map(({ name, status, attempts, lastError, at }) => ({ name, status, attempts, lastError, at: at.toISOString() })),
    };
  }
}
