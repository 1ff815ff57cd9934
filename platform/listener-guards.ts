import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Counter } from 'prom-client';
import { intVar } from './env';
import type { PublicErrorCode } from './errors';
import type { Server } from './http';
import type { Logger } from './log';

/** How much a client may hold of a listener before it is cut off. */
export interface ListenerLimits {
  /** Open connections per client address; more are closed as they are accepted. */
  maxConnectionsPerClient: number;
  /** Time for the headers to arrive, and for a body once its headers are in. */
  bodyTimeoutMs: number;
}

/** Ten seconds: far more than any real client needs to send a GraphQL request, far less than a slow attacker wants. */
export const DEFAULT_BODY_TIMEOUT_MS = 10_000;

/** `BODY_TIMEOUT_MS`, read the same way by every service. */
export const bodyTimeoutVar = () => intVar(DEFAULT_BODY_TIMEOUT_MS, 100, 300_000);

const refusedConnections = new Counter({
  name: 'atrium_connections_refused_total',
  help: 'Connections closed as they were accepted because their client address already held MAX_CONNECTIONS_PER_CLIENT.',
  labelNames: ['service'] as const,
});

/** A warning per minute is enough to tell an operator a client floods; one per connection would flood the log too. */
const WARN_EVERY_MS = 60_000;

function boundConnectionsPerClient(server: Server, service: string, limit: number, log: Logger): void {
  const open = new Map<string, number>();
  let warnedAt = 0;
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const count = (open.get(address) ?? 0) + 1;
    if (count > limit) {
      refusedConnections.inc({ service });
      if (Date.now() - warnedAt > WARN_EVERY_MS) {
        warnedAt = Date.now();
        log.warn({ limit }, 'a client address holds too many connections; extra connections are closed');
      }
      socket.destroy();
      return;
    }
    open.set(address, count);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
  });
}

/** Node's parser errors, as the status and code a client is told. */
function refusalOf(error: NodeJS.ErrnoException): { status: number; code: PublicErrorCode; message: string } {
  if (error.code === 'HPE_HEADER_OVERFLOW') return { status: 431, code: 'REQUEST_HEADER_FIELDS_TOO_LARGE', message: 'request headers are too large' };
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, code: 'REQUEST_TIMEOUT', message: 'the request did not arrive in time' };
  return { status: 400, code: 'BAD_REQUEST', message: 'malformed HTTP request' };
}

/** Answers what node's HTTP parser refuses (bad framing, huge headers, slow headers) in JSON with a code, as every other refusal. */
function answerMalformedRequests(server: Server, log: Logger): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // A client that reset its connection is gone: nothing to answer, nothing wrong on our side.
    if (error.code === 'ECONNRESET' || !socket.writable || (socket as Socket).bytesWritten > 0) return void socket.destroy();
    const { status, code, message } = refusalOf(error);
    log.info({ status, code, reason: error.code }, 'malformed request refused');
    const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
}

/**
 * Keeps a listener cheap to misuse: connections per client address bounded, headers due within `bodyTimeoutMs` (node's
 * `headersTimeout`, with `requestTimeout` as a backstop for bodies nobody reads) and malformed HTTP answered with a code.
 */
export function guardListener(server: Server, service: string, limits: ListenerLimits, log: Logger): void {
  server.headersTimeout = limits.bodyTimeoutMs;
  server.requestTimeout = 2 * limits.bodyTimeoutMs;
  boundConnectionsPerClient(server, service, limits.maxConnectionsPerClient, log);
  answerMalformedRequests(server, log);
}
