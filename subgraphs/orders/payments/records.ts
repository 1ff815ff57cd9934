import { openDatabase } from '../../../platform/database';
import pg from 'pg';
import type { Logger } from '../../../platform/log';

/** Where a payment workflow stands, as Atrium records it beside DBOS's own state. */
export type WorkflowState = 'RUNNING' | 'CONFIRMED' | 'PAYMENT_FAILED' | 'CANCELLED' | 'REJECTED' | 'STUCK';
/** Where an order's payment stands. */
export type PaymentState = 'PENDING' | 'AUTHORIZED' | 'PAID' | 'REFUNDED' | 'FAILED' | 'CANCELLED';
export type StepState = 'RUNNING' | 'DONE' | 'FAILED';

/** One order's payment: what agents read as `order.payment`, and what reconciliation and `npm run workflows` work on. */
export interface PaymentRecord {
  workflowId: string;
  orderId: string | null;
  customerId: string;
  method: 'CARD' | 'INVOICE';
  state: WorkflowState;
  status: PaymentState;
  intentId: string | null;
  amountCents: number | null;
  currency: string | null;
  cardBrand: string | null;
  cardLast4: string | null;
  authorizedAt: Date | null;
  capturedAt: Date | null;
  refundedAt: Date | null;
  failureReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface StepRecord {
  workflowId: string;
  name: string;
  status: StepState;
  attempts: number;
  lastError: string | null;
  at: Date;
}

const SCHEMA = `
create table if not exists atrium_payments (
  workflow_id text primary key,
  order_id text unique,
  customer_id text not null,
  method text not null,
  state text not null,
  status text not null,
  intent_id text,
  amount_cents bigint,
  currency text,
  card_brand text,
  card_last4 text,
  authorized_at timestamptz,
  captured_at timestamptz,
  refunded_at timestamptz,
  failure_reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index if not exists atrium_payments_state on atrium_payments (state, updated_at);
create table if not exists atrium_workflow_steps (
  workflow_id text not null,
  name text not null,
  status text not null,
  attempts integer not null default 0,
  last_error text,
  at timestamptz not null default now(),
  primary key (workflow_id, name)
);
create table if not exists atrium_webhook_events (
  id text primary key,
  type text not null,
  received_at timestamptz not null default now()
);`;

/** Columns as the record's fields. */
const PAYMENT_COLUMNS = `workflow_id as "workflowId", order_id as "orderId", customer_id as "customerId", method, state, status,
  intent_id as "intentId", amount_cents::float8 as "amountCents", currency, card_brand as "cardBrand", card_last4 as "cardLast4",
  authorized_at as "authorizedAt", captured_at as "capturedAt", refunded_at as "refundedAt", failure_reason as "failureReason",
  created_at as "createdAt", updated_at as "updatedAt"`;
const STEP_COLUMNS = `workflow_id as "workflowId", name, status, attempts, last_error as "lastError", at`;

/** What a step may change on a payment record; fields left out keep their value. */
export type PaymentChange = Partial<Omit<PaymentRecord, 'workflowId' | 'customerId' | 'method' | 'createdAt' | 'updatedAt'>>;

const COLUMN_OF: Record<keyof PaymentChange, string> = {
  orderId: 'order_id',
  state: 'state',
  status: 'status',
  intentId: 'intent_id',
  amountCents: 'amount_cents',
  currency: 'currency',
  cardBrand: 'card_brand',
  cardLast4: 'card_last4',
  authorizedAt: 'authorized_at',
  capturedAt: 'captured_at',
  refundedAt: 'refunded_at',
  failureReason: 'failure_reason',
};

/** Held while the tables are created. */
const SCHEMA_LOCK = 73711;

/** Longest error text kept for a step: enough to tell what went wrong, never a whole backend answer. */
const MAX_ERROR_TEXT = 300;

/**
 * Atrium's payment records in PostgreSQL (the database DBOS keeps its workflows in): every write is an idempotent
 * upsert, so a step that runs again after a crash writes the same thing again.
 */
export class PaymentRecords {
  private constructor(private readonly pool: pg.Pool) {}

  /** Connects and creates the tables when missing (under an advisory lock, so replicas starting together do not race). */
  static async open(databaseUrl: string, log: Logger): Promise<PaymentRecords> {
    const pool = await openDatabase(databaseUrl, log, { name: 'payment records', schema: SCHEMA, schemaLock: SCHEMA_LOCK, max: 8 });
    return new PaymentRecords(pool);
  }

  async begin(record: Pick<PaymentRecord, 'workflowId' | 'customerId' | 'method'>): Promise<void> {
    await this.pool.query(
      `insert into atrium_payments (workflow_id, customer_id, method, state, status) values ($1, $2, $3, 'RUNNING', 'PENDING')
       on conflict (workflow_id) do nothing`,
      [record.workflowId, record.customerId, record.method],
    );
  }

  async change(workflowId: string, change: PaymentChange): Promise<void> {
    const entries = Object.entries(change) as [keyof PaymentChange, unknown][];
    if (entries.length === 0) return;
    const sets = entries.map(([field], i) => `${COLUMN_OF[field]} = $${i + 2}`);
    await this.pool.query(`update atrium_payments set ${sets.join(', ')}, updated_at = now() where workflow_id = $1`, [
      workflowId,
      ...entries.map(([, value]) => value),
    ]);
  }

  async byOrderIds(orderIds: readonly string[]): Promise<PaymentRecord[]> {
    const { rows } = await this.pool.query<PaymentRecord>(`select ${PAYMENT_COLUMNS} from atrium_payments where order_id = any($1)`, [orderIds]);
    return rows;
  }

  async byWorkflowId(workflowId: string): Promise<PaymentRecord | null> {
    const { rows } = await this.pool.query<PaymentRecord>(`select ${PAYMENT_COLUMNS} from atrium_payments where workflow_id = $1`, [workflowId]);
    return rows[0] ?? null;
  }

  /** The most recent records, or only those in `states`, or only those not finished `olderThanMs` after their last change. */
  async list(filter: { states?: WorkflowState[]; unchangedForMs?: number; limit: number }): Promise<PaymentRecord[]> {
    const { rows } = await this.pool.query<PaymentRecord>(
      `select ${PAYMENT_COLUMNS} from atrium_payments
       where ($1::text[] is null or state = any($1)) and ($2::float8 is null or updated_at < now() - make_interval(secs => $2 / 1000))
       order by created_at desc limit $3`,
      [filter.states ?? null, filter.unchangedForMs ?? null, filter.limit],
    );
    return rows;
  }

  /** Workflows by state, and the age of the oldest unfinished one: what the metrics report. */
  async census(): Promise<{ byState: Record<string, number>; oldestRunningSeconds: number }> {
    const { rows } = await this.pool.query<{ state: string; count: number; oldest: number | null }>(
      `select state, count(*)::int as count, extract(epoch from now() - min(created_at))::float8 as oldest from atrium_payments group by state`,
    );
    const running = rows.find((row) => row.state === 'RUNNING');
    return { byState: Object.fromEntries(rows.map((row) => [row.state, row.count])), oldestRunningSeconds: running?.oldest ?? 0 };
  }

  async stepStarted(workflowId: string, name: string): Promise<void> {
    await this.pool.query(
      `insert into atrium_workflow_steps (workflow_id, name, status, attempts) values ($1, $2, 'RUNNING', 1)
       on conflict (workflow_id, name) do update set status = 'RUNNING', attempts = atrium_workflow_steps.attempts + 1, at = now()`,
      [workflowId, name],
    );
  }

  async stepEnded(workflowId: string, name: string, status: Exclude<StepState, 'RUNNING'>, error?: string): Promise<void> {
    await this.pool.query(
      `update atrium_workflow_steps set status = $3, last_error = coalesce($4, last_error), at = now() where workflow_id = $1 and name = $2`,
      [workflowId, name, status, error?.slice(0, MAX_ERROR_TEXT) ?? null],
    );
  }

  async stepFailedAttempt(workflowId: string, name: string, error: string): Promise<void> {
    await this.pool.query(`update atrium_workflow_steps set last_error = $3, at = now() where workflow_id = $1 and name = $2`, [
      workflowId,
      name,
      error.slice(0, MAX_ERROR_TEXT),
    ]);
  }

  async steps(workflowIds: readonly string[]): Promise<StepRecord[]> {
    const { rows } = await this.pool.query<StepRecord>(`select ${STEP_COLUMNS} from atrium_workflow_steps where workflow_id = any($1) order by at`, [
      workflowIds,
    ]);
    return rows;
  }

  /** Whether a webhook event is new (and now recorded): a replayed event id answers false. */
  async firstDelivery(eventId: string, type: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(`insert into atrium_webhook_events (id, type) values ($1, $2) on conflict (id) do nothing`, [eventId, type]);
    return rowCount === 1;
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
