import type { IncomingMessage, ServerResponse } from 'node:http';
import cors from 'cors';

/**
 * CORS by allow-list: browsers on the listed origins may call the gateway, every other origin gets no CORS headers
 * (so the browser refuses to hand the response to the page). Answers preflight requests itself.
 */
export function corsInterceptor(origins: string[]): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const middleware = cors({
    origin: origins,
    methods: ['GET', 'POST'],
    allowedHeaders: ['content-type', 'authorization', 'x-api-key', 'apollo-require-preflight', 'x-request-id', 'traceparent'],
    exposedHeaders: ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'retry-after', 'x-request-id'],
    maxAge: 600,
  });
  return async (req, res) => {
    // With a fixed list of origins cors decides synchronously: it either answers a preflight or calls next.
    let next: unknown = 'not called';
    middleware(req, res, (error?: unknown) => (next = error));
    if (next !== 'not called' && next !== undefined) throw next;
    return next === 'not called' && res.writableEnded;
  };
}
