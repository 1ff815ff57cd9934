import { DBOSClient } from '@dbos-inc/dbos-sdk';
import { silentLogger } from '../platform/log';
import { CANCEL_WORKFLOW, OPERATOR_QUEUE } from '../subgraphs/orders/payments/operator-cancel';
import { PaymentRecords, type PaymentRecord } from '../subgraphs/orders/payments/records';
import { WORKFLOW_APPLICATION, WORKFLOW_VERSION } from '../subgraphs/orders/payments/runtime';
import { parseCommandArgs, runCommand, UsageError, type CommandResult } from './cli';

export const WORKFLOWS_USAGE = `usage:
  npm run workflows -- list [--stuck] [--limit <n>]
  npm run workflows -- show <order id>
  npm run workflows -- retry <order id>      run a stuck workflow again from the step that failed
  npm run workflows -- cancel <order id> [--reason <text>]   release or refund the payment, cancel the order
  The state is the payment workflows' database: DATABASE_URL (default: the embedded one npm start runs).
  --stuck lists workflows a compensation could not finish, and those unchanged for 5 minutes while running.`;

/** A running workflow unchanged this long is worth a look. */
const STUCK_AFTER_MS = 5 * 60_000;
/** How long retry and cancel wait for the orders subgraph to carry them out before answering "queued". */
const WAIT_SECONDS = 30;

/** The outcome, or null when the orders subgraph has not carried the work out within WAIT_SECONDS (it is queued). */
const within = <T>(result: Promise<T>): Promise<T | null> =>
  Promise.race([result, new Promise<null>((resolve) => setTimeout(() => resolve(null), WAIT_SECONDS * 1000).unref())]);

const money = (record: PaymentRecord) => (record.amountCents === null ? '-' : `${(record.amountCents / 100).toFixed(2)} ${record.currency}`);
const row = (record: PaymentRecord) =>
  [record.orderId ?? '(none yet)', record.state, record.status, money(record), record.updatedAt.toISOString(), record.failureReason ?? ''].join('\t');

async function find(records: PaymentRecords, orderId: string | undefined): Promise<PaymentRecord> {
  if (!orderId) throw new UsageError('an order id is required');
  const [record] = await records.byOrderIds([orderId]);
  if (!record) throw new UsageError(`no payment workflow placed order ${orderId}`);
  return record;
}

/** `npm run workflows`: lists, shows, retries and cancels the payment workflows recorded in `databaseUrl`. */
export function workflowsCommand(args: string[], databaseUrl: string): Promise<CommandResult> {
  return runCommand('workflows', WORKFLOWS_USAGE, async () => {
    const parsed = parseCommandArgs(args, {
      stuck: { type: 'boolean', default: false },
      limit: { type: 'string', default: '50' },
      reason: { type: 'string', default: 'cancelled by an operator' },
    });
    const { values, positionals } = parsed;
    const [command, orderId] = positionals;
    if (!/^\d{1,4}$/.test(values.limit) || Number(values.limit) < 1) throw new UsageError('--limit must be a whole number from 1 to 9999');
    if (!['list', 'show', 'retry', 'cancel'].includes(command ?? '')) throw new UsageError(command ? `unknown command ${command}` : 'a command is required');
    const records = await PaymentRecords.open(databaseUrl, silentLogger);
    const client = await DBOSClient.create({ systemDatabaseUrl: databaseUrl, applicationName: WORKFLOW_APPLICATION });
    try {
      if (command === 'list') {
        const limit = Number(values.limit);
        const found = values.stuck
          ? [...(await records.list({ states: ['STUCK'], limit })), ...(await records.list({ states: ['RUNNING'], unchangedForMs: STUCK_AFTER_MS, limit }))]
          : await records.list({ limit });
        const header = ['order', 'workflow', 'payment', 'amount', 'updated', 'reason'].join('\t');
        return { stdout: [header, ...found.map(row)].join('\n') + '\n', stderr: found.length === 0 ? 'no workflows\n' : '' };
      }
      const record = await find(records, orderId);
      const status = await client.getWorkflow(record.workflowId);
      if (command === 'show') {
        const steps = await records.steps([record.workflowId]);
        const lines = [
          `order ${record.orderId}  customer ${record.customerId}  workflow ${record.workflowId} (${status?.status ?? 'unknown'})`,
          `state ${record.state}  payment ${record.status} (${record.method}${record.cardBrand ? ` ${record.cardBrand} …${record.cardLast4}` : ''})  ${money(record)}`,
          `authorized ${record.authorizedAt?.toISOString() ?? '-'}  captured ${record.capturedAt?.toISOString() ?? '-'}  refunded ${record.refundedAt?.toISOString() ?? '-'}`,
          ...(record.failureReason ? [`reason ${record.failureReason}`] : []),
          'steps:',
          ...steps.map((step) => `  ${step.name}\t${step.status}\t${step.attempts} attempt(s)\t${step.at.toISOString()}\t${step.lastError ?? ''}`),
        ];
        return { stdout: lines.join('\n') + '\n', stderr: '' };
      }
      if (command === 'retry') {
        if (status?.status !== 'ERROR')
          return { stdout: '', stderr: `order ${orderId}: its workflow is ${status?.status ?? 'unknown'} (${record.state}); only a stuck one is retried\n` };
        const steps = (await client.listWorkflowSteps(record.workflowId)) ?? [];
        const failed = steps.find((step) => (step.output as { ok?: boolean } | null)?.ok === false && step.name.startsWith('cancel'));
        const handle = await client.rewindWorkflow(record.workflowId, { startStep: failed?.functionID ?? 0, applicationVersion: WORKFLOW_VERSION });
        const outcome = await within(handle.getResult()).catch((error: Error) => `still failing: ${error.message}`);
        return {
          stdout: `order ${orderId}: retried from ${failed?.name ?? 'the start'}: ${JSON.stringify(outcome ?? 'queued; the orders subgraph runs it')}\n`,
          stderr: '',
        };
      }
      if (status?.status === 'PENDING' || status?.status === 'ENQUEUED') await client.cancelWorkflow(record.workflowId);
      const handle = await client.enqueue(
        { workflowName: CANCEL_WORKFLOW, queueName: OPERATOR_QUEUE, workflowID: `${record.workflowId}-cancel`, appVersion: WORKFLOW_VERSION },
        record.workflowId,
        values.reason.slice(0, 200),
      );
      const outcome = await within(handle.getResult()).catch((error: Error) => `failed: ${error.message}`);
      return { stdout: `order ${orderId}: ${JSON.stringify(outcome ?? 'queued; the orders subgraph runs it')}\n`, stderr: '' };
    } finally {
      await client.destroy();
      await records.close();
    }
  });
}
