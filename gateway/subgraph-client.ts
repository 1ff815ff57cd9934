import { EventEmitter } from 'node:events';
import { Agent, request } from 'undici';

/** A subgraph's raw answer: the gateway parses it per request (a shared answer must not share mutable objects). */
export interface SubgraphAnswer {
  status: number;
  cacheControl: string | undefined;
  text: string;
}

/** The subgraph did not answer within the time it was given. */
export class SubgraphTimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/**
 * The gateway's HTTP client for subgraphs: one keep-alive pool for the process (undici's `request`, without the
 * WHATWG streams and per-call AbortSignal that `fetch` costs), a timeout per call, and identical query fetches in
 * flight at the same time sent once. Identical means the same subgraph, body and headers — the caller's token
 * included — so one caller's answer never reaches another.
 */
export class SubgraphClient {
  private readonly agent: Agent;
  private readonly inFlight = new Map<string, Promise<SubgraphAnswer>>();

  constructor(options: { connections: number; tls?: { ca: Buffer; cert: Buffer; key: Buffer } }) {
    // With `tls`, the gateway presents its client certificate and trusts only subgraph certificates from that CA (mTLS).
    this.agent = new Agent({ connections: options.connections, keepAliveTimeout: 30_000, connect: options.tls, pipelining: 1 });
  }

  /** POSTs a GraphQL request; `dedupe` only for operations that change nothing. */
  post(url: string, headers: Record<string, string>, body: string, timeoutMs: number, dedupe: boolean): Promise<SubgraphAnswer> {
    if (!dedupe) return this.send(url, headers, body, timeoutMs);
    const key = `${url}\n${headers.authorization ?? ''}\n${body}`;
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const sent = this.send(url, headers, body, timeoutMs).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, sent);
    return sent;
  }

  private async send(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<SubgraphAnswer> {
    // An emitter is undici's cheapest abort signal; the timer covers headers and body alike.
    const abort = new EventEmitter();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.emit('abort');
    }, timeoutMs);
    try {
      const response = await request(url, { method: 'POST', headers, body, dispatcher: this.agent, signal: abort });
      const cacheControl = response.headers['cache-control'];
      return {
        status: response.statusCode,
        cacheControl: Array.isArray(cacheControl) ? cacheControl.join(', ') : cacheControl,
        text: await response.body.text(),
      };
    } catch (error) {
      if (timedOut) throw new SubgraphTimeoutError(`no answer within ${timeoutMs} ms`);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
