import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../platform/log';
import { signWebhook } from '../../platform/webhook-signature';

/** Posts a stand-in's signed events to its webhook endpoint, in the background. */
export interface WebhookSender {
  /**
   * Queues an event's JSON body; never waits for its delivery and never fails. Events of one `order` key are delivered
   * one at a time in the order sent; events of different keys do not wait for each other.
   */
  send(body: string, order?: string): void;
  /** Stops delivering; queued events are dropped. */
  stop(): void;
}

export interface WebhookSenderSettings {
  /** Where events go; none are sent without one. */
  url: string | undefined;
  secret: string;
  /** The header carrying `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, such as `stripe-signature`. */
  signatureHeader: string;
  log: Logger;
  /** Delivery attempts per event; the first retry waits `firstBackoffMs`, each further one twice as long. */
  attempts?: number;
  firstBackoffMs?: number;
}

const ATTEMPTS = 5;
const FIRST_BACKOFF_MS = 200;
const DELIVERY_TIMEOUT_MS = 5_000;

/**
 * Delivers events signed afresh per attempt (as Stripe does), retrying a failed one (an answer other than 2xx, or no
 * answer) with backoff before the next of its key: a receiver sees one key's events in the order they were made. An
 * event that fails every attempt is logged and dropped; events waiting when the process stops are lost (a real
 * provider would retry them for days).
 */
export function createWebhookSender(settings: WebhookSenderSettings): WebhookSender {
  const { url, secret, log } = settings;
  const attempts = settings.attempts ?? ATTEMPTS;
  const firstBackoffMs = settings.firstBackoffMs ?? FIRST_BACKOFF_MS;
  if (url === undefined) return { send: () => undefined, stop: () => undefined };
  const queues = new Map<string, string[]>();
  const stopping = new AbortController();

  const deliver = async (body: string): Promise<void> => {
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      try {
        if (attempt > 1) await sleep(firstBackoffMs * 2 ** (attempt - 2), undefined, { signal: stopping.signal });
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json; charset=utf-8', [settings.signatureHeader]: signWebhook(secret, body, Math.floor(Date.now() / 1000)) },
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
    log.error({ attempts }, 'webhook event dropped after every attempt failed');
  };

  // A key's queue exists while it is being drained: the first event of an idle key starts its drain.
  const drain = async (queue: string[], order: string): Promise<void> => {
    while (queue.length > 0 && !stopping.signal.aborted) {
      await deliver(queue[0] as string);
      queue.shift();
    }
    queues.delete(order);
  };

  return {
    send(body, order = '') {
      if (stopping.signal.aborted) return;
      const waiting = queues.get(order);
      if (waiting) return void waiting.push(body);
      const queue = [body];
      queues.set(order, queue);
      void drain(queue, order);
    },
    stop() {
      stopping.abort();
      queues.clear();
    },
  };
}
