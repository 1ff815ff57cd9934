import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { Server as HttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import type { PublicErrorCode } from './errors';

/** A plain or TLS HTTP server. */
export type Server = HttpServer | HttpsServer;

/** A request the client got wrong, answered with `status` and `code` (and logged as the client's mistake, not ours). */
export class ClientRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: PublicErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The request body was larger than the service accepts. */
export class BodyTooLargeError extends ClientRequestError {
  override name = 'BodyTooLargeError';
  constructor(limitBytes: number) {
    super(413, 'PAYLOAD_TOO_LARGE', `request body exceeds ${limitBytes} bytes`);
  }
}

/** The body did not arrive in time: a slow client must not hold a connection and a request slot for minutes. */
export class BodyTimeoutError extends ClientRequestError {
  override name = 'BodyTimeoutError';
  constructor(timeoutMs: number) {
    super(408, 'REQUEST_TIMEOUT', `request body did not arrive within ${timeoutMs} ms`);
  }
}

/** The client went away before its body was complete: there is nobody left to answer. */
export class ClientAbortedError extends Error {
  override name = 'ClientAbortedError';
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a request body as UTF-8 text, refusing more than `limitBytes` (413), a body still arriving after `timeoutMs`
 * (408) and bytes that are not UTF-8 (400); rejects with ClientAbortedError when the client goes away first.
 */
export function readBody(req: IncomingMessage, limitBytes: number, timeoutMs = 30_000): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limitBytes) return Promise.reject(new BodyTooLargeError(limitBytes));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (error: Error | undefined) => {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('close', onClose);
      if (error) return reject(error);
      try {
        resolve(strictUtf8.decode(Buffer.concat(chunks)));
      } catch {
        reject(new ClientRequestError(400, 'BAD_REQUEST', 'request body is not valid UTF-8'));
      }
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) return finish(new BodyTooLargeError(limitBytes));
      chunks.push(chunk);
    };
    const onEnd = () => finish(undefined);
    const onClose = () => finish(new ClientAbortedError('the client closed the connection before its body was complete'));
    const timer = setTimeout(() => finish(new BodyTimeoutError(timeoutMs)), timeoutMs);
    req.on('data', onData).once('end', onEnd).once('close', onClose);
  });
}

/** Writes a JSON response. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload), ...headers });
  res.end(payload);
}

/** Starts listening and resolves with the base URL (`http(s)://host:port`), the port resolved when 0 was asked. */
export async function listen(server: Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `${server instanceof HttpsServer ? 'https' : 'http'}://${shownHost}:${address.port}`;
}

/** The reason `/ready` gives once a server stopped listening and is draining. */
export const SHUTTING_DOWN = 'shutting down';

let withdrawn = false;

/**
 * Makes every `/ready` of this process answer 503 from now on, while its servers still serve: a signalled service
 * does this first, so load balancers stop sending to it before it stops listening (`SHUTDOWN_DELAY_MS`).
 */
export function withdrawReadiness(): void {
  withdrawn = true;
}

/** Whether `server` no longer takes new traffic (readiness withdrawn, draining or closed): readiness must then say no. */
export const isDraining = (server: Server): boolean => withdrawn || !server.listening;

/**
 * Stops accepting connections, lets in-flight requests finish (and requests already queued on their keep-alive
 * connections), and closes each keep-alive connection as soon as it falls idle rather than after its timeout. Every
 * answer sent during the drain carries `connection: close`, so keep-alive clients reconnect elsewhere.
 */
export async function closeServer(server: Server): Promise<void> {
  if (!server.listening) return;
  // Runs before the service's own handler, so the header is set before anything is written.
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => res.setHeader('connection', 'close'));
  // Node arms this timer only once a connection's last queued answer is written: a connection still owing a
  // pipelined answer is never cut, which a periodic closeIdleConnections() sweep could do.
  server.keepAliveTimeout = 1;
  // close() itself closes the connections idle right now.
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/**
 * Where `freePort` looks: below Linux's ephemeral range (32768–60999), from which outgoing connections take their
 * source ports, so no connection can take a port between `freePort` handing it out and its service binding it.
 */
const FREE_PORTS = { from: 20_000, to: 32_000 };

/** Whether a loopback listener can bind `port` right now. */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createTcpServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** Ports this process handed out: never twice, since a service may not have bound the first yet. */
const handedOut = new Set<number>();

/** A loopback port nothing listens on right now (for a process about to be started on it), each once per process. */
export async function freePort(): Promise<number> {
  if (handedOut.size > (FREE_PORTS.to - FREE_PORTS.from) / 2) handedOut.clear();
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = FREE_PORTS.from + Math.floor(Math.random() * (FREE_PORTS.to - FREE_PORTS.from));
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    if (await bindable(port)) return port;
  }
  throw new Error(`no free loopback port between ${FREE_PORTS.from} and ${FREE_PORTS.to}`);
}
