import { Pool } from 'undici';
import type { z } from 'zod';
import type { Logger } from '../../platform/log';
import { correlationHeaders } from '../../platform/request-context';
import { BackendContractError, BackendUnavailableError } from './errors';
import { BackendPolicy, type Repeatable, type ResilienceSettings } from './resilience';

export interface RestClientOptions {
  /** Name shown to clients in errors, e.g. "CRM". */
  backend: string;
  baseUrl: string;
  /** Keep-alive connections kept open to the backend. */
  connections: number;
  resilience: ResilienceSettings;
  log: Logger;
}

/** A 100-customer batch is a few hundred KiB; anything near this is a broken backend, refused before it fills memory. */
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

/** `Retry-After` in seconds or as an HTTP date, in milliseconds from now. */
function retryAfterMs(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const ms = /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value) - Date.now();
  return Number.isFinite(ms) ? Math.max(0, ms) : undefined;
}

/** A backend's answer with a non-2xx, non-5xx status: the adapter decides what it means. */
export interface RestAnswer {
  status: number;
  body: unknown;
}

/**
 * A process-wide JSON-over-HTTP client for one REST backend, over a keep-alive connection pool and the backend's
 * resilience policy. Network failures, timeouts, 429 and 5xx answers become BACKEND_UNAVAILABLE; the backend's URL and
 * body never reach a client.
 */
export class RestClient {
  readonly policy: BackendPolicy;
  private readonly pool: Pool;
  private readonly basePath: string;

  constructor(private readonly options: RestClientOptions) {
    const base = new URL(options.baseUrl);
    this.basePath = base.pathname.replace(/\/$/, '');
    this.pool = new Pool(base.origin, { connections: options.connections, keepAliveTimeout: 30_000, maxResponseSize: MAX_RESPONSE_BYTES });
    this.policy = new BackendPolicy(options.backend, options.resilience, options.log);
  }

  /**
   * Sends a request and returns status and parsed JSON body, unless the backend failed. GET and PUT are repeated on an
   * outage (HTTP makes them idempotent); POST only when the caller says the backend deduplicates it. `signal` is the
   * request's: when it aborts, the call ends with DEADLINE_EXCEEDED and nothing more is sent.
   */
  async send(
    method: 'GET' | 'PUT' | 'POST',
    path: string,
    options: { query?: Record<string, string>; json?: unknown; repeatable?: Repeatable; signal?: AbortSignal } = {},
  ): Promise<RestAnswer> {
    const repeatable = options.repeatable ?? (method === 'POST' ? 'never-retry' : 'safe-to-retry');
    // Ids sit after the first path segment: `GET /customers/cust-1` is counted as `GET /customers`.
    const operation = `${method} /${path.split('/')[1] ?? ''}`;
    const body = await this.policy.execute(repeatable, operation, (signal) => this.attempt(method, path, options, signal), options.signal);
    let parsed: unknown;
    try {
      parsed = body.text === '' ? undefined : JSON.parse(body.text);
    } catch {
      throw new BackendContractError(this.options.backend, `HTTP ${body.status} with a body that is not JSON`);
    }
    return { status: body.status, body: parsed };
  }

  private async attempt(method: string, path: string, options: { query?: Record<string, string>; json?: unknown }, signal: AbortSignal) {
    const query = options.query ? `?${new URLSearchParams(options.query)}` : '';
    let status: number;
    let text: string;
    let retryAfter: string | string[] | undefined;
    try {
      const response = await this.pool.request({
        method,
        path: `${this.basePath}${path}${query}`,
        headers: { accept: 'application/json', ...correlationHeaders(), ...(options.json === undefined ? {} : { 'content-type': 'application/json' }) },
        body: options.json === undefined ? undefined : JSON.stringify(options.json),
        // The attempt's timeout or the request's end aborts the whole call, body included, through the signal.
        signal,
      });
      status = response.statusCode;
      retryAfter = response.headers['retry-after'];
      text = await response.body.text();
    } catch (error) {
      throw new BackendUnavailableError(this.options.backend, error);
    }
    if (status >= 500 || status === 429)
      throw new BackendUnavailableError(this.options.backend, new Error(`HTTP ${status}`), undefined, retryAfterMs(retryAfter));
    return { status, text };
  }

  /** Checks a 2xx answer against the schema the backend promises. */
  expect<T>(answer: RestAnswer, schema: z.ZodType<T>): T {
    if (answer.status < 200 || answer.status > 299) {
      throw new BackendContractError(this.options.backend, `unexpected HTTP ${answer.status}`);
    }
    const parsed = schema.safeParse(answer.body);
    if (!parsed.success) throw new BackendContractError(this.options.backend, `unexpected body: ${parsed.error.message}`);
    return parsed.data;
  }

  /** The machine error code in a 4xx JSON body (`{ "error": "..." }`), if any. */
  static errorCode(answer: RestAnswer): string | undefined {
    const body = answer.body as { error?: unknown } | undefined;
    return typeof body?.error === 'string' ? body.error : undefined;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
