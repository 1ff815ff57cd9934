import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import { BodyTooLargeError, readBody, sendJson } from './http';
import type { Logger } from './log';

/** Whether a service can do its job now, and if not, why. */
export interface Readiness {
  ready: boolean;
  reason?: string;
}

export interface GraphQLHttpOptions<TContext extends BaseContext> {
  apollo: ApolloServer<TContext>;
  /** Builds the per-request context; no I/O here. */
  context(req: IncomingMessage): Promise<TContext> | TContext;
  readiness(): Readiness;
  maxBodyBytes: number;
  log: Logger;
}

const GRAPHQL_PATH = '/graphql';

function graphqlError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { errors: [{ message, extensions: { code } }] });
}

/**
 * Serves an Apollo server on plain `node:http`: GraphQL at `/graphql` (POST and GET), `/health` (live) and `/ready`
 * (503 with the reason while not ready). The Apollo server must be started.
 */
export function createGraphQLHttpServer<TContext extends BaseContext>(options: GraphQLHttpOptions<TContext>): Server {
  const handleGraphQL = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    let body: unknown;
    if (req.method === 'POST') {
      const text = await readBody(req, options.maxBodyBytes);
      if ((headers.get('content-type') ?? '').includes('json') && text !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          return graphqlError(res, 400, 'BAD_REQUEST', 'request body is not valid JSON');
        }
      } else {
        body = text;
      }
    }
    const response = await options.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
      context: async () => options.context(req),
    });
    for (const [name, value] of response.headers) res.setHeader(name, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  };

  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://service');
    let handled: Promise<void> | void;
    if (url.pathname === GRAPHQL_PATH) {
      handled = handleGraphQL(req, res, url);
    } else if (req.method === 'GET' && url.pathname === '/health') {
      handled = sendJson(res, 200, { status: 'ok' });
    } else if (req.method === 'GET' && url.pathname === '/ready') {
      const readiness = options.readiness();
      handled = sendJson(res, readiness.ready ? 200 : 503, readiness.ready ? { status: 'ready' } : { status: 'not ready', reason: readiness.reason });
    } else {
      handled = sendJson(res, 404, { error: 'not_found', message: `no route ${url.pathname}; GraphQL is served at ${GRAPHQL_PATH}` });
    }
    void Promise.resolve(handled).catch((error: unknown) => {
      if (error instanceof BodyTooLargeError) return graphqlError(res, 413, 'PAYLOAD_TOO_LARGE', error.message);
      options.log.error({ err: error }, 'unhandled request failure');
      if (!res.headersSent) return graphqlError(res, 500, 'INTERNAL_SERVER_ERROR', 'internal server error');
      res.destroy();
    });
  });
}
