import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer, type ServerOptions as TlsServerOptions } from 'node:https';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { INTERNAL_ERROR_CODE, isPublicErrorCode, type ErrorCode } from './errors';
import { ClientAbortedError, ClientRequestError, isDraining, readBody, sendJson, SHUTTING_DOWN, type Server } from './http';
import { guardListener, type ListenerLimits } from './listener-guards';
import { inFlightLimit, OVERLOAD_RETRY_AFTER_SECONDS } from './overload';
import { servingCorrelated } from './request-context';
import { inServerSpan } from './tracing';
import type { Logger } from './log';

/** Whether a service can do its job now, and if not, why. */
export interface Readiness {
  ready: boolean;
  reason?: string;
}

export interface GraphQLHttpOptions<TContext extends BaseContext, TCaller> {
  /** The service's name, on its trace spans and metrics. */
  service: string;
  /** An Apollo server, or what answers like one (a subgraph's SubgraphExecutor). */
  apollo: Pick<ApolloServer<TContext>, 'executeHTTPGraphQLRequest'>;
  /**
   * Establishes the caller from the headers alone, before a byte of the body is read, so an anonymous client cannot hold
   * a connection by sending its body slowly. Throws a GraphQLError whose `extensions.http` (status 401 and headers)
   * is the answer.
   */
  authenticate(req: IncomingMessage): Promise<TCaller>;
  /** Builds the per-request context for the authenticated caller; no I/O here. `res` tells when the caller goes away. */
  context(req: IncomingMessage, caller: TCaller, res: ServerResponse): Promise<TContext> | TContext;
  readiness(): Readiness;
  maxBodyBytes: number;
  /** GraphQL requests processed at once (`MAX_INFLIGHT`); one more is refused with 503 before anything is read or done. */
  maxInFlight: number;
  /** Connections per client address, and how long headers and then a body may take to arrive. */
  limits: ListenerLimits;
  log: Logger;
  /** Extra GET routes by path, such as a JWKS. */
  routes?: Record<string, (req: IncomingMessage, res: ServerResponse) => void>;
  /** Runs first on every request; answers it (a CORS preflight, say) and returns true, or returns false to go on. */
  intercept?(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Serve HTTPS with these (with `requestCert` and `ca`: mutual TLS, clients without a certificate refused). */
  tls?: TlsServerOptions;
}

/** Where GraphQL is served, for queries and subscriptions alike. */
export const GRAPHQL_PATH = '/graphql';

/**
 * A browser asking for the page at `/graphql` (no operation in the URL): Apollo answers it with its landing page, which
 * needs no credentials, or, with none configured, builds the context, and so authenticates, as for any request.
 */
const isPageRequest = (req: IncomingMessage, url: URL) =>
  req.method === 'GET' && (req.headers.accept ?? '').includes('text/html') && !url.searchParams.has('query');

function graphqlError(res: ServerResponse, status: number, code: ErrorCode, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { errors: [{ message, extensions: { code } }] }, headers);
}

/**
 * Whether a Content-Type is JSON in UTF-8, as GraphQL-over-HTTP asks: `application/json`, any case, with no charset or
 * `utf-8` (media types and charset names are case-insensitive).
 */
export function isJsonUtf8(contentType: string | undefined): boolean {
  const [type, ...parameters] = (contentType ?? '').split(';').map((part) => part.trim().toLowerCase());
  if (type !== 'application/json') return false;
  return parameters.every((parameter) => {
    const [name, value] = parameter.split('=').map((part) => part.trim());
    return name !== 'charset' || value?.replace(/^"(.*)"$/, '$1') === 'utf-8';
  });
}

/** A refusal thrown by `authenticate`, as the status, headers and error it answers with. */
function authenticationRefusal(error: unknown) {
  if (!(error instanceof GraphQLError)) return undefined;
  const http = error.extensions.http as { status?: number; headers?: Map<string, string> } | undefined;
  const code = error.extensions.code;
  return {
    status: http?.status ?? 401,
    headers: Object.fromEntries(http?.headers ?? []),
    code: isPublicErrorCode(code) ? code : 'UNAUTHENTICATED',
    message: error.message,
  };
}

/** A POST body, checked as GraphQL-over-HTTP asks: a JSON object in UTF-8. */
async function readGraphQLBody(req: IncomingMessage, contentType: string | undefined, maxBodyBytes: number, timeoutMs: number): Promise<object> {
  if (!isJsonUtf8(contentType)) throw new ClientRequestError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the request as application/json in UTF-8');
  const text = await readBody(req, maxBodyBytes, timeoutMs);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ClientRequestError(400, 'BAD_REQUEST', 'request body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ClientRequestError(400, 'BAD_REQUEST', 'request body must be a JSON object');
  return body;
}

/**
 * Serves an Apollo server on plain `node:http`: GraphQL at `/graphql` (POST and GET), `/health` (live) and `/ready`
 * (503 with the reason while not ready, and from the moment the server stops listening to shut down). The Apollo
 * server must be started. With `maxInFlight` GraphQL requests in flight, the next one is refused at once (503 with
 * `Retry-After`, code OVERLOADED); then the caller is authenticated from the headers before the body is read. Every
 * client mistake is a 4xx with a code, logged at info.
 */
export function createGraphQLHttpServer<TContext extends BaseContext, TCaller>(options: GraphQLHttpOptions<TContext, TCaller>): Server {
  const inFlight = inFlightLimit(options.service, options.maxInFlight);

  const handleGraphQL = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    if (isPageRequest(req, url)) return serve(req, res, url, undefined, async () => options.context(req, await options.authenticate(req), res));
    let caller: TCaller;
    try {
      caller = await options.authenticate(req);
    } catch (error) {
      const refusal = authenticationRefusal(error);
      if (!refusal) throw error;
      return refuse(req, res, new ClientRequestError(refusal.status, refusal.code, refusal.message), refusal.headers);
    }
    const body =
      req.method === 'POST' ? await readGraphQLBody(req, req.headers['content-type'], options.maxBodyBytes, options.limits.bodyTimeoutMs) : undefined;
    await serve(req, res, url, body, async () => options.context(req, caller, res));
  };

  const serve = async (req: IncomingMessage, res: ServerResponse, url: URL, body: unknown, context: () => Promise<TContext>) => {
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    // Apollo compares the media type exactly; it was checked before, case-insensitively.
    if (body !== undefined) headers.set('content-type', 'application/json');
    const response = await options.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
      context,
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

  /** Answers a client mistake; the connection closes after it when the body was left unread, so no one reads it later. */
  const refuse = (req: IncomingMessage, res: ServerResponse, error: ClientRequestError, headers: Record<string, string> = {}) => {
    options.log.info({ status: error.status, code: error.code }, 'request refused');
    if (res.headersSent) return void res.destroy();
    graphqlError(res, error.status, error.code, error.message, req.complete ? headers : { ...headers, connection: 'close' });
  };

  /**
   * The body is left unread: node discards a body of the size the service accepts and keeps the connection, so a
   * client under load does not reconnect; a larger or unannounced one closes it.
   */
  const refuseOverloaded = (req: IncomingMessage, res: ServerResponse) => {
    const declared = Number(req.headers['content-length'] ?? (req.method === 'GET' ? 0 : Number.NaN));
    const headers: Record<string, string> = { 'retry-after': String(OVERLOAD_RETRY_AFTER_SECONDS) };
    if (!(declared <= options.maxBodyBytes)) headers.connection = 'close';
    graphqlError(res, 503, 'OVERLOADED', `${options.service} is at its limit of requests in flight; retry after ${OVERLOAD_RETRY_AFTER_SECONDS} s`, headers);
  };

  const route = async (req: IncomingMessage, res: ServerResponse) => {
    if (options.intercept && (await options.intercept(req, res))) return;
    const url = new URL(req.url ?? '/', 'http://service');
    const extraRoute = req.method === 'GET' ? options.routes?.[url.pathname] : undefined;
    if (url.pathname === GRAPHQL_PATH) {
      // Before the span, the credential and the body: an overloaded service spends nothing on what it refuses.
      if (!isPageRequest(req, url) && !inFlight.admit(res)) return refuseOverloaded(req, res);
      await inServerSpan(`${req.method ?? 'GET'} ${GRAPHQL_PATH}`, req.headers, { 'atrium.service': options.service }, () => handleGraphQL(req, res, url));
    } else if (extraRoute) {
      extraRoute(req, res);
    } else if (req.method === 'GET' && url.pathname === '/health') {
      sendJson(res, 200, { status: 'ok' });
    } else if (req.method === 'GET' && url.pathname === '/ready') {
      const readiness: Readiness = isDraining(server) ? { ready: false, reason: SHUTTING_DOWN } : options.readiness();
      sendJson(res, readiness.ready ? 200 : 503, readiness.ready ? { status: 'ready' } : { status: 'not ready', reason: readiness.reason });
    } else {
      graphqlError(res, 404, 'NOT_FOUND', `no route ${url.pathname}; GraphQL is served at ${GRAPHQL_PATH}`);
    }
  };

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    servingCorrelated(req, res, () => route(req, res)).catch((error: unknown) => {
      if (error instanceof ClientRequestError) return refuse(req, res, error);
      if (error instanceof ClientAbortedError) return options.log.info('client went away before its request was complete');
      options.log.error({ err: error }, 'unhandled request failure');
      if (!res.headersSent) return graphqlError(res, 500, INTERNAL_ERROR_CODE, 'internal server error');
      res.destroy();
    });
  };
  const server: Server = options.tls ? createTlsServer(options.tls, listener) : createServer(listener);
  guardListener(server, options.service, options.limits, options.log);
  return server;
}
