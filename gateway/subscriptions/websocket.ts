import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { GraphQLError, type ExecutionResult } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Server } from '../../platform/http';
import type { Logger } from '../../platform/log';
import type { Caller } from '../auth/authenticate';
import { StreamEnded, type StreamEnd } from './event-stream';
import type { OpenSubscription, Subscriptions } from './subscriptions';

/** What closes a connection, and with which WebSocket close code: each documented in the README. */
export const CLOSE_CODES: Record<Exclude<StreamEnd, 'RESUME_WINDOW_EXCEEDED'>, number> = {
  TOKEN_EXPIRED: 4401,
  SLOW_CONSUMER: 4413,
  // "Service restart" (RFC 6455's registry): reconnect, to another replica if there is one.
  SHUTTING_DOWN: 1012,
};

/** How long a closing client may take to answer the close before its connection is cut. */
const CLOSE_GRACE_MS = 5_000;

/** Seconds between pings, so proxies keep an idle connection and a dead client is noticed. */
const KEEP_ALIVE_MS = 12_000;

/** A verified caller, and when their credential expires (epoch ms). */
type Subscriber = Caller & { expiresAt?: number };

/** The credentials a client sent in `connection_init` ({ authorization } or { 'x-api-key' }), else those of the upgrade request. */
function credentialHeaders(params: Readonly<Record<string, unknown>> | undefined, request: IncomingMessage): IncomingHttpHeaders {
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const authorization = text(params?.authorization ?? params?.Authorization);
  const apiKey = text(params?.['x-api-key'] ?? params?.apiKey);
  if (authorization === undefined && apiKey === undefined) return { authorization: request.headers.authorization, 'x-api-key': request.headers['x-api-key'] };
  return { authorization, 'x-api-key': apiKey };
}

/**
 * GraphQL over WebSocket (the graphql-transport-ws protocol, the `graphql-ws` package) on the gateway's own port and
 * path: credentials in `connection_init` (or the upgrade request's headers) are verified once; the connection closes
 * with a code when the token expires, when the client reads too slowly, and when the gateway stops.
 */
export function serveWebSockets(options: {
  server: Server;
  path: string;
  subscriptions: Subscriptions;
  authenticate(headers: IncomingHttpHeaders): Promise<Subscriber>;
  maxMessageBytes: number;
  log: Logger;
}): { close(): Promise<void> } {
  const { subscriptions, log } = options;
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes });
  const connections = new WeakMap<WebSocket, Subscriber>();
  /** Each connection's open subscriptions by operation id, ended when the client completes one or goes away. */
  const operations = new WeakMap<WebSocket, Map<string, OpenSubscription>>();
  const operationsOf = (socket: WebSocket) => {
    let open = operations.get(socket);
    if (!open) operations.set(socket, (open = new Map()));
    return open;
  };
  /** Closes with the reason's code; a client too stalled to answer the close is cut off after a grace period. */
  const closeWith = (socket: WebSocket, reason: StreamEnd, message: string) => {
    if (socket.readyState !== socket.OPEN) return;
    socket.close(CLOSE_CODES[reason as keyof typeof CLOSE_CODES], message.slice(0, 120));
    setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
  };

  /** A subscription's results as the protocol sends them; an end the gateway chose closes the connection or the operation with its reason. */
  async function* delivered(socket: WebSocket, opened: OpenSubscription): AsyncGenerator<ExecutionResult> {
    try {
      yield* opened.results;
    } catch (error) {
      if (!(error instanceof StreamEnded)) throw error;
      if (error.reason === 'RESUME_WINDOW_EXCEEDED') {
        yield { errors: [error] };
        return;
      }
      closeWith(socket, error.reason, error.message);
    }
  }

  const disposable = useServer<Record<string, unknown>>(
    {
      onConnect: async (ctx) => {
        const { socket, request } = ctx.extra;
        try {
          const caller = await options.authenticate(credentialHeaders(ctx.connectionParams, request));
          connections.set(socket, caller);
          // Before graphql-ws's own close handling, which waits for each subscription's return() and so for its next event.
          socket.once('close', () => {
            for (const subscription of operationsOf(socket).values()) subscription.close();
          });
          if (caller.expiresAt !== undefined) {
            const timer = setTimeout(() => closeWith(socket, 'TOKEN_EXPIRED', 'token expired: reconnect with a fresh one'), caller.expiresAt - Date.now());
            timer.unref();
            socket.once('close', () => clearTimeout(timer));
          }
          return true;
        } catch (error) {
          // The protocol's 4403 would not say why; the reason is the same the HTTP endpoint gives.
          socket.close(4401, (error instanceof GraphQLError ? error.message : 'Unauthenticated').slice(0, 120));
          return false;
        }
      },
      onSubscribe: async (ctx, id, payload) => {
        const { socket } = ctx.extra;
        const caller = connections.get(socket);
        if (!caller) return [new GraphQLError('not authenticated', { extensions: { code: 'UNAUTHENTICATED' } })];
        const lastEventId = payload.extensions?.lastEventId ?? ctx.connectionParams?.lastEventId;
        const opened = await subscriptions.open(
          caller,
          {
            query: payload.query,
            variables: payload.variables,
            operationName: payload.operationName,
            lastEventId: lastEventId === undefined ? undefined : String(lastEventId),
          },
          // The connection closes when the token expires, with every subscription on it.
          { name: 'websocket', ended: (reason) => reason.reason !== 'RESUME_WINDOW_EXCEEDED' && closeWith(socket, reason.reason, reason.message) },
        );
        if (Array.isArray(opened)) return opened as readonly GraphQLError[];
        const subscription = opened as OpenSubscription;
        operationsOf(socket).set(id, subscription);
        return { schema: subscription.schema, document: subscription.document, contextValue: delivered(socket, subscription) };
      },
      subscribe: (args) => args.contextValue as AsyncGenerator<ExecutionResult>,
      onComplete: (ctx, id) => {
        operationsOf(ctx.extra.socket).get(id)?.close();
        operationsOf(ctx.extra.socket).delete(id);
      },
    },
    wss,
    KEEP_ALIVE_MS,
  );

  const upgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(request.url ?? '/', 'http://gateway').pathname !== options.path) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  };
  options.server.on('upgrade', upgrade);
  log.debug({ path: options.path }, 'subscriptions served over graphql-ws');

  return {
    async close() {
      options.server.off('upgrade', upgrade);
      for (const client of wss.clients) client.close(CLOSE_CODES.SHUTTING_DOWN, 'the gateway is restarting; reconnect with the last event id seen');
      await disposable.dispose();
    },
  };
}
