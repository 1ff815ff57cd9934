import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../../../platform/http';
import { webhookBody } from '../../../platform/webhook-request';
import type { Logger } from '../../../platform/log';
import type { PaymentProvider } from '../payment-provider';
import type { PaymentRecords } from './records';

export const WEBHOOK_PATH = '/webhooks/payments';
/** Provider events are small JSON objects; anything larger is not one. */
const MAX_WEBHOOK_BYTES = 64 * 1024;

/**
 * Receives the provider's signed webhooks at POST /webhooks/payments: the signature (HMAC over timestamp and body,
 * checked by the official SDK, timestamps older than 5 minutes refused) proves who sent it, the event id that it is
 * new. A refund or cancellation made at the provider (its dashboard, say) is then recorded on the order's payment.
 */
export function webhookReceiver(provider: PaymentProvider, records: PaymentRecords, log: Logger) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const body = await webhookBody(req, res, WEBHOOK_PATH, MAX_WEBHOOK_BYTES);
    if (body === undefined) return false;
    if (body === 'answered') return true;
    let event;
    try {
      event = provider.verifyWebhook(body, req.headers['stripe-signature'] as string | undefined);
    } catch (error) {
      log.warn({ reason: (error as Error).message }, 'payment webhook refused');
      sendJson(res, 400, { error: 'invalid_signature', message: (error as Error).message });
      return true;
    }
    if (!(await records.firstDelivery(event.id, event.type))) {
      sendJson(res, 409, { error: 'replayed', message: `event ${event.id} was already received` });
      return true;
    }
    const object = event.data.object as { id?: string; object?: string; metadata?: Record<string, string>; payment_intent?: string };
    const reference = object.metadata?.workflow_id;
    if (reference && event.type === 'payment_intent.canceled') await records.change(reference, { status: 'CANCELLED' });
    if (event.type === 'charge.refunded' && typeof object.payment_intent === 'string') {
      const intent = await provider.intent(object.payment_intent);
      if (intent?.workflowId) await records.change(intent.workflowId, { status: 'REFUNDED', refundedAt: new Date() });
    }
    log.info({ event: event.id, type: event.type }, 'payment webhook received');
    sendJson(res, 200, { received: true });
    return true;
  };
}
