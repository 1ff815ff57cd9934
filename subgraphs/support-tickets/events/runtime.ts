import { openSharedRecorder } from '../../../platform/events/shared-recorder';
import type { Logger } from '../../../platform/log';
import type { SubgraphRuntime } from '../../kit/define-subgraph';
import { readTicketEventSettings } from './settings';
import { helpdeskWebhookReceiver } from './webhook';

/**
 * Starts what the support-tickets subgraph runs beside GraphQL: the receiver of the helpdesk's webhooks, recording
 * ticket changes into the shared event log (one log and recorder per process, however many subgraphs it runs).
 */
export async function startTicketEvents({ log, env }: { log: Logger; env: NodeJS.ProcessEnv }): Promise<SubgraphRuntime<undefined>> {
  const settings = readTicketEventSettings(env);
  const recorder = await openSharedRecorder(settings.databaseUrl, log);
  return {
    shared: undefined,
    intercept: helpdeskWebhookReceiver(recorder.value, settings.webhookSecret, log),
    close: () => recorder.release(),
  };
}
