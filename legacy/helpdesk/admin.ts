import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { readBody, sendJson } from '../../platform/http';
import { DeskRefusal, STATUSES, type Desk } from './desk';

const TICKET_PATH = /^\/_admin\/tickets\/([^/]{1,100})(?:\/(reply|status))?$/;
const MAX_ADMIN_BODY = 64 * 1024;

const replySchema = z.strictObject({ text: z.string().min(1).max(10_000), status: z.enum(STATUSES).optional() });
const statusSchema = z.strictObject({ status: z.enum(STATUSES) });

/**
 * The helpdesk's admin calls, as an agent's desk would make them (tests drive tickets with them):
 * `GET /_admin/tickets/<id>` (the ticket and its replies), `POST /_admin/tickets/<id>/reply` `{ text, status? }` and
 * `POST /_admin/tickets/<id>/status` `{ status }`, each answered with the ticket and its replies. Bad JSON is 400
 * `invalid_json`, a bad body 400 `invalid_request`, an unknown ticket 404 `unknown_ticket`, a CLOSED ticket 409
 * `ticket_closed`, a status it already has 409 `status_unchanged`.
 */
export function ticketAdmin(desk: Desk) {
  const view = (ticketId: string) => ({ ticket: desk.ticket(ticketId), replies: desk.repliesTo(ticketId) });
  return async (req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> => {
    const match = TICKET_PATH.exec(path);
    if (!match) return false;
    const ticketId = decodeURIComponent(match[1] as string);
    const action = match[2];
    if (action === undefined && req.method === 'GET') {
      if (!desk.ticket(ticketId)) sendJson(res, 404, { error: 'unknown_ticket', message: `no ticket ${ticketId.slice(0, 40)}` });
      else sendJson(res, 200, view(ticketId));
      return true;
    }
    if (action === undefined || req.method !== 'POST') {
      sendJson(
        res,
        405,
        { error: 'method_not_allowed', message: `${path.slice(0, 120)} takes ${action ? 'POST' : 'GET'}` },
        { allow: action ? 'POST' : 'GET' },
      );
      return true;
    }
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req, MAX_ADMIN_BODY));
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      sendJson(res, 400, { error: 'invalid_json', message: 'body must be a JSON object' });
      return true;
    }
    const parsed = action === 'reply' ? replySchema.safeParse(body) : statusSchema.safeParse(body);
    if (!parsed.success) {
      const message = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
      sendJson(res, 400, { error: 'invalid_request', message });
      return true;
    }
    try {
      const { data } = parsed;
      if ('text' in data) desk.reply(ticketId, data.text, data.status);
      else desk.setStatus(ticketId, data.status);
    } catch (error) {
      if (!(error instanceof DeskRefusal)) throw error;
      sendJson(res, error.status, { error: error.code, message: error.message });
      return true;
    }
    sendJson(res, 200, view(ticketId));
    return true;
  };
}
