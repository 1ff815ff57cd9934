import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLargeError, readBody, sendJson } from './http';

/**
 * The body of a webhook POSTed to `path`, read up to `maxBytes`: undefined when the request is for another path (the
 * caller lets it through), `'answered'` when it was refused here (405 for another method, 413 for a larger body).
 */
export async function webhookBody(req: IncomingMessage, res: ServerResponse, path: string, maxBytes: number): Promise<string | 'answered' | undefined> {
  if (new URL(req.url ?? '/', 'http://service').pathname !== path) return undefined;
  if (req.method !== 'POST') {
    sendJson(res, 405, { error: 'method_not_allowed', message: `${path} takes POST` }, { allow: 'POST' });
    return 'answered';
  }
  try {
    return await readBody(req, maxBytes);
  } catch (error) {
    if (!(error instanceof BodyTooLargeError)) throw error;
    sendJson(res, 413, { error: 'body_too_large', message: `a webhook is at most ${maxBytes} bytes` });
    return 'answered';
  }
}
