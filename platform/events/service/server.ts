import { createServer } from 'node:http';
import { DBOS } from '@dbos-inc/dbos-sdk';
import { launchDbos } from '../../dbos-launch';
import { dbosLogger } from '../../dbos-logger';
import { closeServer, isDraining, listen, sendJson, SHUTTING_DOWN } from '../../http';
import type { Logger } from '../../log';
import type { RunningService } from '../../run';
import { EventLog } from '../event-log';
import { startNatsRelay } from '../nats-relay';
import { EventRecorder } from '../sequencer';
import { DELIVERY_QUEUE, EVENTS_APPLICATION, EVENTS_WORKFLOW_VERSION, registerDeliveryWorkflow, type DeliveryParts } from '../webhooks/delivery';
import { Dispatcher } from '../webhooks/dispatcher';
import type { EventsServiceSettings } from '../webhooks/settings';
import { WebhookStore } from '../webhooks/store';

/** DBOS registers a workflow once per process: the registered function reads its parts from here at run time. */
const parts = {} as DeliveryParts;
let deliver: ReturnType<typeof registerDeliveryWorkflow> | undefined;

/**
 * The events service: numbers the event log (so numbering never waits for a source process), and delivers each
 * event to the partner endpoints registered for its type, as signed webhooks on DBOS Transact — which, at launch,
 * resumes every delivery a crash interrupted. Serves `/health` and `/ready`.
 */
export async function startEventsService(settings: EventsServiceSettings, log: Logger): Promise<RunningService> {
  const eventLog = await EventLog.open(settings.databaseUrl, log);
  const recorder = new EventRecorder(eventLog, log);
  // With NATS, the log is relayed to JetStream from here: one relay leads across replicas, the others stand by.
  const relay = settings.events.natsUrl ? await startNatsRelay(eventLog, settings.events.natsUrl, log, { stream: settings.events.natsStream }) : undefined;
  const store = await WebhookStore.open(settings.databaseUrl, log);
  Object.assign(parts, { store, policy: settings.delivery, log } satisfies DeliveryParts);
  deliver ??= registerDeliveryWorkflow(parts);
  const workflow = deliver;
  DBOS.setConfig({
    name: EVENTS_APPLICATION,
    systemDatabaseUrl: settings.databaseUrl,
    applicationVersion: EVENTS_WORKFLOW_VERSION,
    // No unauthenticated admin port: operators use `npm run webhooks`.
    runAdminServer: false,
    executorID: settings.executorId,
    logger: dbosLogger(log),
  });
  await launchDbos(settings.databaseUrl);
  // Partitioned by endpoint: each endpoint has its own limit of deliveries in flight, waits between attempts included.
  await DBOS.registerQueue(DELIVERY_QUEUE, { partitionConcurrency: settings.delivery.endpointConcurrency, onConflict: 'always_update' });
  const dispatcher = new Dispatcher(
    eventLog,
    store,
    async (args) =>
      void (await DBOS.startWorkflow(workflow, {
        workflowID: args.deliveryId,
        queueName: DELIVERY_QUEUE,
        enqueueOptions: { queuePartitionKey: args.endpointId },
      })(args)),
    settings.pollMs,
    log,
  );
  dispatcher.start();

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://events').pathname;
    if (req.method === 'GET' && path === '/health') return sendJson(res, 200, { status: 'ok' });
    if (req.method === 'GET' && path === '/ready')
      return isDraining(server) ? sendJson(res, 503, { status: 'not ready', reason: SHUTTING_DOWN }) : sendJson(res, 200, { status: 'ready' });
    sendJson(res, 404, { error: 'not_found', message: 'the events service serves /health and /ready' });
  });
  const url = await listen(server, settings.port, settings.host);
  return {
    url,
    async stop() {
      await closeServer(server);
      await dispatcher.stop();
      await DBOS.shutdown();
      recorder.close();
      await relay?.close();
      await store.close();
      await eventLog.close();
    },
  };
}
