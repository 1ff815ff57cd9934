import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../platform/log';
import type { PaymentEvent } from './ledger';
import { newId, unixNow } from './objects';

/** Sends the events of kept changes to the webhook endpoint, in order, in the background. */
export interface WebhookSender {
  /** Queues an event; never waits for its delivery and never fails. */
  send(event: PaymentEvent, idempotencyKey: string | null): void;
  /** Stops delivering; queued events are dropped. */
  stop(): void;
}

export interface WebhookSettings {
  /** Where events go; none are sent without one. */
  url: string | undefined;
  secret: string;
  log: Logger;
}

/** Delivery attempts per event, and the pause before the second; each further pause doubles. */
const ATTEMPTS = 5;
const FIRST_BACKOFF_MS = 200;
const DELIVERY_TIMEOUT_MS = 5_000;

/** Stripe's `Stripe-Signature`: `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. */
export const signatureHeader = (secret: string, body: string, timestamp: number): string =>
  `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;

/** Stripe's event object around one change. */
const eventBody = (event: PaymentEvent, idempotencyKey: string | null): string =>
  JSON.stringify({
    id: newId('evt'),
    object: 'event',
    // The stand-in has one shape for every API version.
    api_version: null,
    created: unixNow(),
    data: { object: event.object },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: idempotencyKey },
    type: event.type,
  });

/**
 * Delivers events one at a time, each signed afresh per attempt (as Stripe does), retrying a failed one with backoff
 * before the next: a receiver sees them in the order the changes were made. An event that fails every attempt is
 * logged and dropped; events waiting when the process stops are lost (Stripe would retry them for days).
 */
export function createWebhookSender(settings: WebhookSettings): WebhookSender {
  const { url, secret, log } = settings;
  if (url === undefined) return { send: () => undefined, stop: () => undefined };
  const queue: string[] = [];
  const stopping = new AbortController();
  let draining = false;

  const deliver = async (body: string): Promise<void> => {
    for (let attempt = 1; attempt <= ATTEMPTS; attempt += 1) {
      try {
        if (attempt > 1) await sleep(FIRST_BACKOFF_MS * 2 ** (attempt - 2), undefined, { signal: stopping.signal });
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': signatureHeader(secret, body, unixNow()) },
          body,
          signal: AbortSignal.any([stopping.signal, AbortSignal.timeout(DELIVERY_TIMEOUT_MS)]),
        });
        await response.body?.cancel();
        if (response.ok) return;
        log.warn({ status: response.status, attempt }, 'webhook delivery refused');
      } catch (error) {
        if (stopping.signal.aborted) return;
        log.warn({ err: error, attempt }, 'webhook delivery failed');
      }
    }
    log.error({ attempts: ATTEMPTS }, 'webhook event dropped after every attempt failed');
  };

  const drain = async (): Promise<void> => {
    draining = true;
    while (queue.length > 0 && !stopping.signal.aborted) {
      await deliver(queue[0] as string);
      queue.shift();
    }
    draining = false;
  };

  return {
    send(event, idempotencyKey) {
      if (stopping.signal.aborted) return;
      queue.push(eventBody(event, idempotencyKey));
      if (!draining) void drain();
    },
    stop() {
      stopping.abort();
      queue.length = 0;
    },
  };
}
