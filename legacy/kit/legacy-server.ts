import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { BodyTooLargeError, isDraining, readBody, sendJson, SHUTTING_DOWN } from '../../platform/http';
import type { Logger } from '../../platform/log';
import { servingCorrelated } from '../../platform/request-context';
import { faultUpdateSchema, type FaultSettings } from './faults';
import { CallStats } from './stats';

/** What a backend's business handler gets besides the raw request and response. */
export interface BusinessCall {
  url: URL;
  /** Reads the request body, at most 1 MiB. */
  body(): Promise<string>;
}

export interface LegacyServerOptions {
  name: string;
  faults: FaultSettings;
  /** Where the handler counts the business calls it answers. */
  stats: CallStats;
  log: Logger;
  /** Answers a business call. Rejections are answered by `failure` with a 500. */
  handle(req: IncomingMessage, res: ServerResponse, call: BusinessCall): Promise<void>;
  /** Writes the backend's own kind of server error (a JSON 500 or a SOAP Fault). */
  failure(res: ServerResponse, message: string): void;
  /** Read-only admin views by path (`/_admin/<name>`), answered with JSON like the kit's own: never faulted nor counted. */
  views?: Record<string, () => unknown>;
  /** The backend's own admin calls under `/_admin/` (a test driving its data): answers and returns true, or returns false to go on. Never faulted nor counted. */
  admin?(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean>;
}

export interface LegacyServer {
  server: Server;
  stats: CallStats;
  faults: FaultSettings;
}

const MAX_BODY_BYTES = 1024 * 1024;

/** The handler still does its work (an order is booked), but the caller gets a dropped connection instead of the answer. */
function loseTheAnswer(req: IncomingMessage, res: ServerResponse): void {
  res.writeHead = () => res;
  res.end = () => {
    req.socket.destroy();
    return res;
  };
}

/**
 * An HTTP server for one legacy backend: health, admin (stats, calls in flight, reset, faults) and fault injection
 * around its business handler. Admin and health calls are never faulted nor counted.
 */
export function createLegacyServer(options: LegacyServerOptions): LegacyServer {
  const { stats } = options;
  const faults: FaultSettings = { ...options.faults };
  // Business calls being served now: how a test knows its requests are all waiting here before it pulls a plug.
  let inFlight = 0;

  const admin = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> => {
    if (req.method === 'GET' && path === '/health') {
      sendJson(res, 200, { status: 'ok', service: options.name });
    } else if (req.method === 'GET' && path === '/ready') {
      if (isDraining(server)) sendJson(res, 503, { status: 'not ready', reason: SHUTTING_DOWN, service: options.name });
      else sendJson(res, 200, { status: 'ready', service: options.name });
    } else if (req.method === 'GET' && path === '/_admin/stats') {
      sendJson(res, 200, stats);
    } else if (req.method === 'GET' && path === '/_admin/in-flight') {
      sendJson(res, 200, { inFlight });
    } else if (req.method === 'GET' && options.views && Object.hasOwn(options.views, path)) {
      sendJson(res, 200, (options.views[path] as () => unknown)());
    } else if (req.method === 'POST' && path === '/_admin/reset') {
      stats.reset();
      sendJson(res, 200, stats);
    } else if (path === '/_admin/faults' && req.method === 'GET') {
      sendJson(res, 200, faults);
    } else if (path === '/_admin/faults' && req.method === 'POST') {
      let update: unknown;
      try {
        update = JSON.parse(await readBody(req, MAX_BODY_BYTES));
      } catch {
        sendJson(res, 400, { error: 'invalid_json', message: 'body must be a JSON object' });
        return true;
      }
      const parsed = faultUpdateSchema.safeParse(update);
      if (!parsed.success) {
        const message = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
        sendJson(res, 400, { error: 'invalid_faults', message });
        return true;
      }
      Object.assign(faults, parsed.data);
      options.log.info({ faults }, 'faults changed');
      sendJson(res, 200, faults);
    } else {
      return (await options.admin?.(req, res, path)) ?? false;
    }
    return true;
  };

  const business = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    if (faults.down) {
      // A backend that is down accepts nothing: the connection is dropped without an answer.
      req.socket.destroy();
      return;
    }
    inFlight += 1;
    try {
      if (faults.latencyMs > 0) await sleep(faults.latencyMs);
      if (faults.errorRate > 0 && Math.random() < faults.errorRate) {
        options.failure(res, 'injected fault');
        return;
      }
      if (faults.dropResponseRate > 0 && Math.random() < faults.dropResponseRate) loseTheAnswer(req, res);
      await options.handle(req, res, {
        url,
        body: () => readBody(req, MAX_BODY_BYTES),
      });
    } finally {
      inFlight -= 1;
    }
    options.log.debug({ method: req.method, path: url.pathname, status: res.statusCode }, 'business call');
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://backend');
    servingCorrelated(req, res, () => admin(req, res, url.pathname).then((handled) => (handled ? undefined : business(req, res, url)))).catch(
      (error: unknown) => {
        if (res.headersSent) return void res.destroy();
        if (error instanceof BodyTooLargeError) return sendJson(res, 413, { error: 'body_too_large', message: error.message });
        options.log.error({ err: error }, 'request failed');
        options.failure(res, 'internal error');
      },
    );
  });
  return { server, stats, faults };
}
