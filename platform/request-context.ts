import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { traceHeaders } from './tracing';

/** What ties one client request together across the gateway, the subgraphs and the legacy backends. */
export interface RequestCorrelation {
  requestId: string;
  /** The W3C trace context, passed on unchanged when the caller sent a valid one. */
  traceparent?: string;
}

const REQUEST_ID_HEADER = 'x-request-id';

/** A client's own request id is kept when it is short and plain; anything else is replaced, never echoed. */
const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** version-traceid-parentid-flags, as W3C Trace Context defines it. */
const VALID_TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

const storage = new AsyncLocalStorage<RequestCorrelation>();

/** The correlation a request arrived with, or a fresh request id. */
function correlationFrom(headers: IncomingHttpHeaders): RequestCorrelation {
  const requestId = headers[REQUEST_ID_HEADER];
  const traceparent = headers.traceparent;
  return {
    requestId: typeof requestId === 'string' && VALID_REQUEST_ID.test(requestId) ? requestId : randomUUID(),
    ...(typeof traceparent === 'string' && VALID_TRACEPARENT.test(traceparent) ? { traceparent } : {}),
  };
}

/**
 * Serves one incoming request under its correlation: the id is returned in the `x-request-id` response header, and
 * everything `work` does (log lines, outgoing calls) carries it.
 */
export function servingCorrelated<T>(req: IncomingMessage, res: ServerResponse, work: () => T): T {
  const correlation = correlationFrom(req.headers);
  res.setHeader(REQUEST_ID_HEADER, correlation.requestId);
  return withCorrelation(correlation, work);
}

/** Runs `work` as part of a request, so logs and outgoing calls made inside it carry the request's correlation. */
export function withCorrelation<T>(correlation: RequestCorrelation, work: () => T): T {
  return storage.run(correlation, work);
}

/** The correlation of the request being served, if any. */
export const currentCorrelation = (): RequestCorrelation | undefined => storage.getStore();

/**
 * Headers that pass the current request's correlation on to the next hop: its id, and the trace context of the active
 * span (or, with tracing off, the `traceparent` the request came with).
 */
export function correlationHeaders(): Record<string, string> {
  const correlation = storage.getStore();
  const traced = traceHeaders();
  if (!correlation) return traced;
  const trace = traced.traceparent ? traced : correlation.traceparent ? { traceparent: correlation.traceparent } : {};
  return { [REQUEST_ID_HEADER]: correlation.requestId, ...trace };
}
