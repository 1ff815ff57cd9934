import { DBOS } from '@dbos-inc/dbos-sdk';
import { launchDbos } from '../../../platform/dbos-launch';
import { dbosLogger } from '../../../platform/dbos-logger';
import { readSettings } from '../../../platform/env';
import { EventLog } from '../../../platform/events/event-log';
import { EventRecorder } from '../../../platform/events/sequencer';
import type { Logger } from '../../../platform/log';
import type { BackendLink } from '../../kit/backend-link';
import type { SubgraphRuntime } from '../../kit/define-subgraph';
import type { SoapClient } from '../../kit/soap-client';
import { ChangeFeedPoller, changeFeedSettings } from '../change-feed';
import { ErpClient } from '../erp-client';
import { PaymentProvider } from '../payment-provider';
import { registerOperatorCancel, OPERATOR_QUEUE } from './operator-cancel';
import { registerOrderWorkflows, type WorkflowParts } from './place-order';
import { OrderPlacement } from './placement';
import { reportWorkflows } from './metrics';
import { PaymentRecords } from './records';
import { cronOf, registerReconciliation } from './reconcile';
import { paymentSettings } from './settings';
import { StepRunner } from './steps';
import { webhookReceiver } from './webhook';

/** DBOS's application name: scopes Atrium's workflows, queues and schedules in the system database. */
export const WORKFLOW_APPLICATION = 'atrium-orders';
/**
 * The workflows' code version. DBOS recovers a workflow only in a process of the version that started it: bump this
 * when a change to the steps would make a recorded workflow take another path.
 */
export const WORKFLOW_VERSION = 'place-order-1';

/**
 * DBOS registers a workflow once per process: the registered functions read their parts from here at run time, and a
 * runtime started again (tests do) brings new ones.
 */
const parts = {} as WorkflowParts;
const reconciliation = { pendingDeadlineMs: 0 };
let workflows: (ReturnType<typeof registerOrderWorkflows> & ReturnType<typeof registerReconciliation> & { cancel: unknown }) | undefined;

/** What the orders subgraph's requests share: placing orders, and the records agents read. */
export interface PaymentsShared {
  placement: OrderPlacement;
  records: PaymentRecords;
}

type RuntimeContext = { link: BackendLink<SoapClient>; log: Logger; env: NodeJS.ProcessEnv };

/** DBOS runs once per process: subgraphs started together in one process (test stacks) share it, and the last one stops it. */
let running: { users: number; runtime: Promise<SubgraphRuntime<PaymentsShared>> } | undefined;

/**
 * Starts the payment workflows of the orders subgraph: reads their settings, opens the records and the event log,
 * registers the workflows and launches DBOS Transact on PostgreSQL — which recovers every workflow a crash
 * interrupted — schedules reconciliation and starts polling the ERP's change feed into the event log.
 */
export async function startPayments(context: RuntimeContext): Promise<SubgraphRuntime<PaymentsShared>> {
  const current = (running ??= { users: 0, runtime: launchPayments(context) });
  current.users += 1;
  let runtime: SubgraphRuntime<PaymentsShared>;
  try {
    runtime = await current.runtime;
  } catch (error) {
    running = undefined;
    throw error;
  }
  return {
    ...runtime,
    async close() {
      current.users -= 1;
      if (current.users > 0) return;
      running = undefined;
      await runtime.close();
    },
  };
}

async function launchPayments({ link, log, env }: RuntimeContext): Promise<SubgraphRuntime<PaymentsShared>> {
  const settings = readSettings(paymentSettings, env);
  const feedSettings = readSettings(changeFeedSettings, env);
  const records = await PaymentRecords.open(settings.databaseUrl, log);
  // One event log per process: the workflows' outcomes and the ERP's change feed are recorded through it.
  const eventLog = await EventLog.open(settings.databaseUrl, log);
  const events = new EventRecorder(eventLog, log);
  const provider = new PaymentProvider({
    url: settings.providerUrl,
    apiKey: settings.apiKey,
    timeoutMs: settings.providerTimeoutMs,
    webhookSecret: settings.webhookSecret,
  });
  const steps = new StepRunner(
    records,
    { attempts: settings.stepAttempts, backoffMs: settings.stepBackoffMs, backoffMaxMs: settings.stepBackoffMaxMs },
    log,
    settings.faultPoint,
  );
  Object.assign(parts, { erp: () => new ErpClient(link.client), provider, records, events, steps, log } satisfies WorkflowParts);
  reconciliation.pendingDeadlineMs = settings.pendingDeadlineMs;
  workflows ??= {
    ...registerOrderWorkflows(parts),
    ...registerReconciliation(parts, () => reconciliation.pendingDeadlineMs),
    cancel: registerOperatorCancel(parts),
  };
  const { placeOrder, reconcile } = workflows;
  DBOS.setConfig({
    name: WORKFLOW_APPLICATION,
    systemDatabaseUrl: settings.databaseUrl,
    applicationVersion: WORKFLOW_VERSION,
    runAdminServer: false,
    executorID: settings.executorId,
    logger: dbosLogger(log),
  });
  await launchDbos(settings.databaseUrl);
  await DBOS.registerQueue(OPERATOR_QUEUE);
  await DBOS.applySchedules([{ scheduleName: 'reconcile-payments', workflowFn: reconcile, schedule: cronOf(settings.reconcileEveryMs) }]);
  const stopCensus = reportWorkflows(records, log);
  const changeFeed = await ChangeFeedPoller.start({
    feed: () => new ErpClient(link.client),
    recorder: events,
    databaseUrl: settings.databaseUrl,
    pollMs: feedSettings.pollMs,
    log,
  });
  return {
    shared: { placement: new OrderPlacement(placeOrder, provider, settings.placeOrderWaitMs), records },
    intercept: webhookReceiver(provider, records, log),
    async close() {
      await changeFeed.close();
      await DBOS.shutdown();
      stopCensus();
      events.close();
      await eventLog.close();
      await records.close();
    },
  };
}
