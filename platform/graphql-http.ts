import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer, type ServerOptions as TlsServerOptions } from 'node:https';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import { BodyTooLargeError, isDraining, readBody, sendJson, SHUTTING_DOWN, type Server } from './http';
import { servingCorrelated } from './request-context';
import { inServerSpan } from './tracing';
import type { Logger } from './log';

/** Whether a service can do its job now, and if not, why. */
export interface Readiness {
  ready: boolean;
  reason?: string;
}

export interface GraphQLHttpOptions<TContext extends BaseContext> {
  /** The service's name, on its trace spans. */
  service: string;
  apollo: ApolloServer<TContext>;
  /** Builds the per-request context; no I/O here. */
  context(req: IncomingMessage): Promise<TContext> | TContext;
  readiness(): Readiness;
  maxBodyBytes: number;
  log: Logger;
  /** Extra GET routes by path, such as a JWKS. */
  routes?: Record<string, (req: IncomingMessage, res: ServerResponse) => void>;
  /** Runs first on every request; answers it (a CORS preflight, say) and returns true, or returns false to go on. */
  intercept?(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Serve HTTPS with these (with `requestCert` and `ca`: mutual TLS, clients without a certificate refused). */
  tls?: TlsServerOptions;
}

const GRAPHQL_PATH = '/graphql';

function graphqlError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { errors: [{ message, extensions: { code } }] });
}

/**
 * Serves an Apollo server on plain `node:http`: GraphQL at `/graphql` (POST and GET), `/health` (live) and `/ready`
 * (503 with the reason while not ready, and from the moment the server stops listening to shut down). The Apollo
 * server must be started.
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

  const route = async (req: IncomingMessage, res: ServerResponse) => {
    if (options.intercept && (await options.intercept(req, res))) return;
    const url = new URL(req.url ?? '/', 'http://service');
    const extraRoute = req.method === 'GET' ? options.routes?.[url.pathname] : undefined;
    if (url.pathname === GRAPHQL_PATH) {
      await inServerSpan(`${req.method ?? 'GET'} ${GRAPHQL_PATH}`, req.headers, { 'atrium.service': options.service }, () => handleGraphQL(req, res, url));
    } else if (extraRoute) {
      extraRoute(req, res);
    } else if (req.method === 'GET' && url.pathname === '/health') {
      sendJson(res, 200, { status: 'ok' });
    } else if (req.method === 'GET' && url.pathname === '/ready') {
      const readiness: Readiness = isDraining(server) ? { ready: false, reason: SHUTTING_DOWN } : options.readiness();
      sendJson(res, readiness.ready ? 200 : 503, readiness.ready ? { status: 'ready' } : { status: 'not ready', reason: readiness.reason });
    } else {
      sendJson(res, 404, { error: 'not_found', message: `no route ${url.pathname}; GraphQL is served at ${GRAPHQL_PATH}` });
    }
  };

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    servingCorrelated(req, res, () => route(req, res)).catch((error: unknown) => {
      if (error instanceof BodyTooLargeError) return graphqlError(res, 413, 'PAYLOAD_TOO_LARGE', error.message);
      options.log.error({ err: error }, 'unhandled request failure');
      if (!res.headersSent) return graphqlError(res, 500, 'INTERNAL_SERVER_ERROR', 'internal server error');
      res.destroy();
    });
  };
  const server: Server = options.tls ? createTlsServer(options.tls, listener) : createServer(listener);
  return server;
}
