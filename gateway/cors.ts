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
    allowedHeaders: ['content-type', 'authorization', 'x-api-key', 'apollo-require-preflight'],
    exposedHeaders: ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'retry-after'],
    maxAge: 600,
  });
  return (req, res) =>
    new Promise((resolve, reject) => {
      // cors ends preflight requests itself and calls next() for everything else.
      res.once('finish', () => resolve(true));
      middleware(req, res, (error?: unknown) => (error ? reject(error) : resolve(res.writableEnded)));
    });
}
