import { DBOSClient } from '@dbos-inc/dbos-sdk';
import { EventLog } from '../platform/events/event-log';
import {
  DELIVERY_QUEUE,
  DELIVERY_WORKFLOW,
  EVENTS_APPLICATION,
  EVENTS_WORKFLOW_VERSION,
  replayWorkflowId,
  type DeliveryArgs,
} from '../platform/events/webhooks/delivery';
import { endpointUrlProblem, parseEventTypes } from '../platform/events/webhooks/endpoint-rules';
import { WebhookStore, type DeliveryRecord } from '../platform/events/webhooks/store';
import { silentLogger } from '../platform/log';
import { parseCommandArgs, runCommand, UsageError, type CommandResult } from './cli';

export const WEBHOOKS_USAGE = `usage:
  npm run webhooks -- register --url <https://…> --events <type>,<type>…   prints the endpoint's signing secret once
  npm run webhooks -- list
  npm run webhooks -- remove <endpoint id>
  npm run webhooks -- dead [--limit <n>]                deliveries that failed for their whole retry window
  npm run webhooks -- replay <delivery id> | --all      attempt dead deliveries again (the events service does)
  The state is DATABASE_URL (default: the embedded one npm start runs); at most WEBHOOK_MAX_ENDPOINTS endpoints.
  event types: order.updated payment.updated ticket.updated`;

/** Most dead deliveries one `replay --all` takes back. */
const REPLAY_ALL_LIMIT = 1_000;

export interface WebhooksCommandOptions {
  databaseUrl: string;
  maxEndpoints: number;
  /** Production refuses plain-HTTP endpoints, loopback ones included. */
  production: boolean;
}

const deliveryRow = (delivery: DeliveryRecord) =>
  [delivery.id, delivery.eventType, `${delivery.attempts} attempt(s)`, delivery.lastError ?? '', delivery.updatedAt.toISOString()].join('\t');

/** Takes a dead delivery back and queues its next round of attempts for the events service. */
async function replay(store: WebhookStore, client: DBOSClient, eventLog: EventLog, delivery: DeliveryRecord): Promise<string> {
  const [event] = await eventLog.after((BigInt(delivery.eventId) - 1n).toString(), { limit: 1 });
  if (event?.id !== delivery.eventId) throw new UsageError(`event ${delivery.eventId} of delivery ${delivery.id} is no longer in the log`);
  const replays = await store.revive(delivery.id);
  if (replays === null) throw new UsageError(`delivery ${delivery.id} is not dead`);
  const args: DeliveryArgs = { deliveryId: delivery.id, endpointId: delivery.endpointId, event, queuedAt: Date.now() };
  const workflowID = replayWorkflowId(delivery.id, replays);
  try {
    await client.enqueue(
      {
        workflowName: DELIVERY_WORKFLOW,
        queueName: DELIVERY_QUEUE,
        queuePartitionKey: delivery.endpointId,
        workflowID,
        appVersion: EVENTS_WORKFLOW_VERSION,
        applicationName: EVENTS_APPLICATION,
      },
      args,
    );
  } catch (error) {
    // Not queued: it stays in the dead letters, to be replayed again.
    await store.markDead(delivery.id);
    throw error;
  }
  return `replaying ${delivery.id} (${delivery.eventType}) as ${workflowID}\n`;
}

/** `npm run webhooks`: registers, lists and removes partner endpoints; lists and replays dead deliveries. */
export function webhooksCommand(args: string[], options: WebhooksCommandOptions): Promise<CommandResult> {
  return runCommand('webhooks', WEBHOOKS_USAGE, async () => {
    const { values, positionals } = parseCommandArgs(args, {
      url: { type: 'string' },
      events: { type: 'string' },
      limit: { type: 'string', default: '50' },
      all: { type: 'boolean', default: false },
    });
    const [command, id, ...extra] = positionals;
    if (!['register', 'list', 'remove', 'dead', 'replay'].includes(command ?? ''))
      throw new UsageError(command ? `unknown command ${command}` : 'a command is required');
    if (extra.length > 0) throw new UsageError(`unexpected argument(s): ${extra.join(' ')}`);
    if (!/^\d{1,4}$/.test(values.limit) || Number(values.limit) < 1) throw new UsageError('--limit must be a whole number from 1 to 9999');
    let eventTypes;
    if (command === 'register') {
      if (!values.url) throw new UsageError('--url is required');
      const problem = endpointUrlProblem(values.url, options.production);
      if (problem) throw new UsageError(problem);
      try {
        eventTypes = parseEventTypes(values.events ?? '');
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
    }
    if (command === 'remove' && !id) throw new UsageError('an endpoint id is required');
    if (command === 'replay' && !id === !values.all) throw new UsageError('replay takes a delivery id or --all');

    const store = await WebhookStore.open(options.databaseUrl, silentLogger, 1);
    try {
      if (command === 'register' && values.url && eventTypes) {
        const eventLog = await EventLog.open(options.databaseUrl, silentLogger);
        const cursor = await eventLog.head().finally(() => eventLog.close());
        const registered = await store.register({ url: values.url, eventTypes, cursor }, options.maxEndpoints);
        if (!registered) throw new UsageError(`${options.maxEndpoints} endpoints are registered already (WEBHOOK_MAX_ENDPOINTS); remove one first`);
        const { endpoint, secret } = registered;
        return {
          stdout: `${secret}\n`,
          stderr: `registered endpoint ${endpoint.id} for ${endpoint.eventTypes.join(',')} from event ${cursor} on; its signing secret is shown once, store it now:\n`,
        };
      }
      if (command === 'list') {
        const endpoints = await store.endpoints();
        const lines = endpoints.map((endpoint) =>
          [endpoint.id, endpoint.url, endpoint.eventTypes.join(','), `after ${endpoint.cursor}`, endpoint.createdAt.toISOString()].join('\t'),
        );
        return { stdout: lines.map((line) => `${line}\n`).join(''), stderr: endpoints.length === 0 ? 'no endpoints\n' : '' };
      }
      if (command === 'remove') {
        if (!(await store.remove(id as string))) throw new UsageError(`no endpoint with id ${id}`);
        return { stdout: `removed ${id} and its deliveries\n`, stderr: '' };
      }
      if (command === 'dead') {
        const dead = await store.dead(Number(values.limit));
        return { stdout: dead.map((delivery) => `${deliveryRow(delivery)}\n`).join(''), stderr: dead.length === 0 ? 'no dead deliveries\n' : '' };
      }
      const chosen = values.all ? await store.dead(REPLAY_ALL_LIMIT) : [await store.delivery(id as string)];
      const missing = chosen.some((delivery) => !delivery);
      if (missing) throw new UsageError(`no delivery with id ${id}`);
      if (chosen.length === 0) return { stdout: '', stderr: 'no dead deliveries\n' };
      const eventLog = await EventLog.open(options.databaseUrl, silentLogger);
      const client = await DBOSClient.create({ systemDatabaseUrl: options.databaseUrl, applicationName: EVENTS_APPLICATION });
      try {
        let stdout = '';
        for (const delivery of chosen as DeliveryRecord[]) stdout += await replay(store, client, eventLog, delivery);
        return { stdout, stderr: '' };
      } finally {
        await client.destroy();
        await eventLog.close();
      }
    } finally {
      await store.close();
    }
  });
}
