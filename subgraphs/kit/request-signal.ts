import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEADLINE_HEADER, deadlineOf } from '../../platform/request-deadline';
import { DeadlineExceededError } from './errors';

/**
 * The signal that ends one request's work: it aborts at the request's deadline (the gateway's `x-request-deadline`,
 * never later than the subgraph's own `maxMs`) or as soon as the caller goes away before its answer is sent. Throws
 * DEADLINE_EXCEEDED (HTTP 504) when the deadline passed before the request arrived: nothing is started for it.
 */
export function requestSignal(req: IncomingMessage, res: ServerResponse, maxMs: number): AbortSignal {
  // A header that is not a time is ignored rather than refused: the subgraph's own bound still applies.
  const remainingMs = Math.min(maxMs, (deadlineOf(req.headers[DEADLINE_HEADER]) ?? Infinity) - Date.now());
  if (remainingMs <= 0) throw new DeadlineExceededError('it passed before the request arrived', 504);
  // One controller and one timer, cleared with the response: cheaper per request than composing timeout signals.
  const ended = new AbortController();
  const deadline = setTimeout(() => ended.abort(new DeadlineExceededError()), remainingMs).unref();
  // `req` has closed long before (once its body was read); an unfinished response closing means the caller hung up.
  res.once('close', () => {
    clearTimeout(deadline);
    if (!res.writableFinished) ended.abort(new DeadlineExceededError('the caller went away'));
  });
  return ended.signal;
}
