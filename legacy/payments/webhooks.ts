import type { Logger } from '../../platform/log';
import { createWebhookSender } from '../kit/webhook-sender';
import type { PaymentEvent } from './ledger';
import { newId, unixNow } from './objects';

/** Sends the events of kept changes to the webhook endpoint, in order, in the background. */
export interface PaymentWebhooks {
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
 * Stripe's webhooks: each event signed in `Stripe-Signature`, all of them delivered one at a time in the order the
 * changes were made (one queue), retried with backoff (legacy/kit/webhook-sender.ts).
 */
export function createPaymentWebhooks(settings: WebhookSettings): PaymentWebhooks {
  const sender = createWebhookSender({ ...settings, signatureHeader: 'stripe-signature' });
  return {
    send: (event, idempotencyKey) => sender.send(eventBody(event, idempotencyKey)),
    stop: () => sender.stop(),
  };
}
