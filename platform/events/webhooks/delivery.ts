import { DBOS } from '@dbos-inc/dbos-sdk';
import { halfJitterGenerator, type IExponentialBackoffOptions } from 'cockatiel';
import { Counter } from 'prom-client';
import type { Logger } from '../../log';
import type { ChangeEvent } from '../event-log';
import type { DeliveryPolicy } from './settings';
import { EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, signAtriumPayload } from './signature';
import type { WebhookStore } from './store';

/** DBOS's application name for the events service: scopes its workflows and queue in the shared system database. */
export const EVENTS_APPLICATION = 'atrium-events';
/** Bump when a change to the delivery workflow would make a recorded one take another path (DBOS recovers by version). */
export const EVENTS_WORKFLOW_VERSION = 'webhooks-1';
export const DELIVERY_QUEUE = 'webhook-deliveries';
export const DELIVERY_WORKFLOW = 'deliverWebhook';

/** A delivery's input: the event itself travels with it, the endpoint's URL and secret are read at each attempt. */
export interface DeliveryArgs {
  deliveryId: string;
  endpointId: string;
  event: ChangeEvent;
  /** When it was queued (epoch ms): attempts stop `retryForMs` later. */
  queuedAt: number;
}

/** How a delivery ended: `gone` when its endpoint was removed meanwhile. */
export type DeliveryOutcome = 'delivered' | 'dead' | 'gone';

/** One event to one endpoint: the delivery's id, its first workflow's id too (so two dispatchers queue it once). */
export const deliveryIdOf = (endpointId: string, eventId: string): string => `${endpointId}:${eventId}`;
/** The workflow of an operator's n-th replay of a dead delivery. */
export const replayWorkflowId = (deliveryId: string, replay: number): string => `${deliveryId}:replay-${replay}`;

/** What a partner receives: the event as the log holds it (keys and statuses, no personal data beyond the customer id). */
export const deliveryBody = (event: ChangeEvent): string =>
  JSON.stringify({ id: event.id, type: event.type, key: event.key, customerId: event.customerId, attributes: event.attributes, occurredAt: event.occurredAt });

/** What the workflow works with, for the life of the process (read at run time: DBOS registers a workflow once). */
export interface DeliveryParts {
  store: WebhookStore;
  policy: DeliveryPolicy;
  log: Logger;
}

type Attempt = { outcome: 'delivered' | 'dead' | 'gone' } | { outcome: 'retry'; retryInMs: number };

const attempts = new Counter({ name: 'atrium_webhook_attempts_total', help: 'Webhook delivery attempts, by how they ended.', labelNames: ['outcome'] });

/** Why an attempt failed, without the partner's body (it may hold anything) or the URL (it may hold a token). */
function failureOf(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && error.name === 'TimeoutError') return `timed out after ${timeoutMs} ms`;
  const code = (error as { cause?: { code?: unknown } }).cause?.code;
  return typeof code === 'string' ? `could not connect (${code})` : 'could not connect';
}

/** The wait before attempt `attempt + 1`: exponential from `backoffMs`, capped, half of it jittered (cockatiel's generator). */
const backoffAfter = (attempt: number, policy: DeliveryPolicy): number =>
  halfJitterGenerator(attempt - 1, { initialDelay: policy.backoffMs, maxDelay: policy.backoffMaxMs, exponent: 2 } as IExponentialBackoffOptions<number>)[0];

async function attempt(parts: DeliveryParts, args: DeliveryArgs, attempt: number): Promise<Attempt> {
  const { store, policy, log } = parts;
  const endpoint = await store.signingEndpoint(args.endpointId);
  if (!endpoint) return { outcome: 'gone' };
  const body = deliveryBody(args.event);
  let lastStatus: number | null = null;
  let lastError: string | null = null;
  try {
    const response = await fetch(endpoint.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Atrium-Webhooks/1',
        [SIGNATURE_HEADER]: signAtriumPayload(endpoint.secret, body),
        [EVENT_ID_HEADER]: args.event.id,
        [EVENT_TYPE_HEADER]: args.event.type,
      },
      body,
      // A redirect is the partner's misconfiguration: followed, it would carry the signed event to another host.
      redirect: 'manual',
      signal: AbortSignal.timeout(policy.timeoutMs),
    });
    await response.body?.cancel();
    lastStatus = response.status;
    if (response.ok) {
      await store.attempted(args.deliveryId, { status: 'DELIVERED', lastStatus, lastError });
      attempts.inc({ outcome: 'delivered' });
      return { outcome: 'delivered' };
    }
    lastError = `HTTP ${response.status}`;
  } catch (error) {
    lastError = failureOf(error, policy.timeoutMs);
  }
  const retryInMs = backoffAfter(attempt, policy);
  const dead = Date.now() + retryInMs > args.queuedAt + policy.retryForMs;
  await store.attempted(args.deliveryId, { status: dead ? 'DEAD' : 'PENDING', lastStatus, lastError });
  attempts.inc({ outcome: dead ? 'dead' : 'failed' });
  log.warn({ delivery: args.deliveryId, endpoint: args.endpointId, attempt, reason: lastError, retryInMs: dead ? null : retryInMs }, 'webhook attempt failed');
  return dead ? { outcome: 'dead' } : { outcome: 'retry', retryInMs };
}

/**
 * Registers the delivery workflow with DBOS (before launch): attempts the POST, and after each failure sleeps durably
 * (a restarted process wakes at the recorded time) for an exponentially growing, jittered wait, until the partner
 * answers 2xx or the retry window has passed — then the delivery is dead until an operator replays it.
 */
export function registerDeliveryWorkflow(parts: DeliveryParts) {
  return DBOS.registerWorkflow(
    async (args: DeliveryArgs): Promise<DeliveryOutcome> => {
      for (let number = 1; ; number += 1) {
        // A failure of Atrium's own database is retried in place; the partner's failures are outcomes, not throws.
        const result = await DBOS.runStep(() => attempt(parts, args, number), {
          name: 'attempt',
          retriesAllowed: true,
          maxAttempts: 10,
          intervalSeconds: 1,
          backoffRate: 2,
        });
        if (result.outcome !== 'retry') return result.outcome;
        await DBOS.sleep(result.retryInMs);
      }
    },
    { name: DELIVERY_WORKFLOW },
  );
}
