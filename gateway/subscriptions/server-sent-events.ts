import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { ExecutionResult } from 'graphql';
import { createHandler } from 'graphql-sse';
import { readBody } from '../../platform/http';
import type { Caller } from '../auth/authenticate';
import { StreamEnded } from './event-stream';
import type { OpenSubscription, Subscriptions } from './subscriptions';

/** How long a stream the gateway ended may take to send its last result before the connection is cut. */
const CLOSE_GRACE_MS = 5_000;

/** A refusal as graphql-sse answers it: a GraphQL error body with a status. */
const refusal = (status: number, errors: readonly { message: string; extensions?: Record<string, unknown> }[], headers: Record<string, string> = {}) =>
  [
    JSON.stringify({ errors: errors.map((error) => ({ message: error.message, extensions: { code: error.extensions?.code } })) }),
    { status, statusText: status === 401 ? 'Unauthorized' : 'Bad Request', headers: { 'content-type': 'application/json; charset=utf-8', ...headers } },
  ] as const;

/** HTTP statuses for the codes a subscription is refused with; others are 400. */
const STATUS_OF: Record<string, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  TOO_MANY_SUBSCRIPTIONS: 429,
  RATE_LIMITED: 429,
  NOT_READY: 503,
};

/** A subscription's results; an end the gateway chose is sent as a last result with the reason, then the stream ends. */
async function* delivered(opened: OpenSubscription): AsyncGenerator<ExecutionResult> {
  try {
    yield* opened.results;
  } catch (error) {
    if (!(error instanceof StreamEnded)) throw error;
    yield { errors: [error] };
  }
}

/** Whether a request is for GraphQL over SSE: it accepts an event stream, or belongs to a single-connection stream. */
export const isEventStreamRequest = (req: IncomingMessage): boolean =>
  (req.headers.accept ?? '').includes('text/event-stream') || req.headers['x-graphql-event-stream-token'] !== undefined;

/**
 * GraphQL over Server-Sent Events (the `graphql-sse` package, distinct connections mode) on the gateway's path: the
 * same credentials as a query, in the request's headers, verified per stream. Each result carries its event id in
 * `extensions.eventId`; a client that reconnects sends the last one as `Last-Event-ID` and receives what it missed.
 */
export function serverSentEvents(options: {
  subscriptions: Subscriptions;
  authenticate(headers: IncomingHttpHeaders): Promise<Caller & { expiresAt?: number }>;
  maxBodyBytes: number;
  bodyTimeoutMs: number;
}): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const handler = createHandler<IncomingMessage, { res: ServerResponse }>({
    onSubscribe: async (req, params) => {
      let caller: Caller & { expiresAt?: number };
      try {
        caller = await options.authenticate(req.raw.headers);
      } catch (error) {
        const { message, extensions } = error as { message: string; extensions?: Record<string, unknown> };
        if (extensions?.code !== 'UNAUTHENTICATED') throw error;
        return refusal(401, [{ message, extensions }], { 'www-authenticate': 'Bearer' });
      }
      const lastEventId = req.headers.get('last-event-id') ?? (params.extensions?.lastEventId as string | undefined);
      const opened = await options.subscriptions.open(
        caller,
        { query: params.query, variables: params.variables, operationName: params.operationName, lastEventId: lastEventId ?? undefined },
        {
          name: 'sse',
          // A client that stopped reading would never read the last result: its connection is cut after a grace period.
          ended: (reason) => reason.reason !== 'RESUME_WINDOW_EXCEEDED' && setTimeout(() => req.context.res.destroy(), CLOSE_GRACE_MS).unref(),
        },
        caller.expiresAt,
      );
      if (Array.isArray(opened)) {
        const errors = opened as readonly { message: string; extensions?: Record<string, unknown> }[];
        return refusal(STATUS_OF[String(errors[0]?.extensions?.code)] ?? 400, errors);
      }
      const subscription = opened as OpenSubscription;
      req.context.res.once('close', () => subscription.close());
      return delivered(subscription);
    },
  });

  return async (req, res) => {
    // The body is read here, within the gateway's size and time limits; graphql-sse would read any amount.
    const body = req.method === 'POST' ? await readBody(req, options.maxBodyBytes, options.bodyTimeoutMs) : null;
    const [answer, init] = await handler({
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: { get: (name) => [req.headers[name] ?? []].flat().join(', ') || null },
      body,
      raw: req,
      context: { res },
    });
    res.writeHead(init.status, init.statusText, init.headers);
    if (!answer || typeof answer === 'string') return void res.end(answer);
    res.once('close', () => void answer.return());
    // Each chunk is written once the last one left: a client that stops reading stops the stream, whose bounded buffer then ends it.
    for await (const chunk of answer) {
      if (!res.writable) break;
      await new Promise<void>((resolve, reject) => res.write(chunk, (error) => (error ? reject(error) : resolve())));
    }
    res.end();
  };
}
