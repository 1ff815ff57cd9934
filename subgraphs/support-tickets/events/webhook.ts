import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { EventRecorder } from '../../../platform/events/sequencer';
import { sendJson } from '../../../platform/http';
import { webhookBody } from '../../../platform/webhook-request';
import type { Logger } from '../../../platform/log';
import { checkWebhookSignature, HELPDESK_SIGNATURE_HEADER as SIGNATURE_HEADER } from '../../../platform/webhook-signature';

export const WEBHOOK_PATH = '/webhooks/helpdesk';
/** A delivery signed longer ago than this is refused: a caught request replayed later is not news. */
const TOLERANCE_SECONDS = 300;
/** Ticket events are small JSON objects; anything larger is not one. */
const MAX_WEBHOOK_BYTES = 16 * 1024;

const id = z.string().min(1).max(200);
/** The helpdesk's ticket event; fields it may add later are ignored. */
const eventSchema = z.object({
  id,
  type: z.enum(['ticket.created', 'ticket.updated']),
  ticketId: id,
  customerId: id,
  status: z.string().min(1).max(40),
  occurredAt: z.iso.datetime(),
});

/**
 * Receives the helpdesk's signed webhooks at POST /webhooks/helpdesk. The signature proves the helpdesk sent the body
 * (checked in constant time, 5 minutes' tolerance); each change is then recorded once as `ticket.updated`, under the
 * source `helpdesk:<event id>`, so a redelivery answers 200 and records nothing new. Refusals are 400 with a code
 * (`missing_signature`, `malformed_signature`, `invalid_signature`, `stale_signature`, `malformed_event`), 413 for a
 * body over 16 KiB; a log that cannot be written is 503, which the helpdesk retries.
 */
export function helpdeskWebhookReceiver(recorder: EventRecorder, secret: string, log: Logger) {
  const refuse = (res: ServerResponse, error: string, message: string) => {
    log.warn({ reason: error }, 'helpdesk webhook refused');
    sendJson(res, 400, { error, message });
  };
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const body = await webhookBody(req, res, WEBHOOK_PATH, MAX_WEBHOOK_BYTES);
    if (body === undefined) return false;
    if (body === 'answered') return true;
    const signature = req.headers[SIGNATURE_HEADER];
    const problem = checkWebhookSignature(typeof signature === 'string' ? signature : undefined, body, secret, { toleranceSeconds: TOLERANCE_SECONDS });
    if (problem) {
      refuse(res, problem, `${SIGNATURE_HEADER} does not prove the helpdesk sent this body (${problem.replace('_', ' ')})`);
      return true;
    }
    let event: z.infer<typeof eventSchema>;
    try {
      event = eventSchema.parse(JSON.parse(body));
    } catch {
      refuse(res, 'malformed_event', 'the body is not a helpdesk ticket event');
      return true;
    }
    let added: number;
    try {
      added = await recorder.record([
        {
          type: 'ticket.updated',
          source: `helpdesk:${event.id}`,
          key: event.ticketId,
          customerId: event.customerId,
          attributes: { ticketId: event.ticketId, status: event.status },
        },
      ]);
    } catch (error) {
      log.error({ err: error }, 'helpdesk webhook: the event log could not be written');
      sendJson(res, 503, { error: 'unavailable', message: 'the event could not be recorded; deliver it again later' });
      return true;
    }
    log.info({ event: event.id, type: event.type, recorded: added > 0 }, 'helpdesk webhook received');
    sendJson(res, 200, { received: true, duplicate: added === 0 });
    return true;
  };
}
