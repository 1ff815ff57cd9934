import { Pool } from 'undici';
import type { z } from 'zod';
import { BackendContractError, BackendUnavailableError } from './errors';

export interface RestClientOptions {
  /** Name shown to clients in errors, e.g. "CRM". */
  backend: string;
  baseUrl: string;
  timeoutMs: number;
  /** Keep-alive connections kept open to the backend. */
  connections: number;
}

/** A backend's answer with a non-2xx, non-5xx status: the adapter decides what it means. */
export interface RestAnswer {
  status: number;
  body: unknown;
}

/**
 * A process-wide JSON-over-HTTP client for one REST backend, over a keep-alive connection pool.
 * Network failures, timeouts and 5xx answers become BACKEND_UNAVAILABLE; the backend's URL and body never reach a client.
 */
export class RestClient {
  private readonly pool: Pool;
  private readonly basePath: string;

  constructor(private readonly options: RestClientOptions) {
    const base = new URL(options.baseUrl);
    this.basePath = base.pathname.replace(/\/$/, '');
    this.pool = new Pool(base.origin, { connections: options.connections, keepAliveTimeout: 30_000 });
  }

  /** Sends a request and returns status and parsed JSON body, unless the backend failed. */
  async send(method: 'GET' | 'PUT' | 'POST', path: string, options: { query?: Record<string, string>; json?: unknown } = {}): Promise<RestAnswer> {
    const query = options.query ? `?${new URLSearchParams(options.query)}` : '';
    let status: number;
    let text: string;
    try {
      const response = await this.pool.request({
        method,
        path: `${this.basePath}${path}${query}`,
        headers: { accept: 'application/json', ...(options.json === undefined ? {} : { 'content-type': 'application/json' }) },
        body: options.json === undefined ? undefined : JSON.stringify(options.json),
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
        // undici checks those two on a coarse clock (about a second) and restarts them per phase; the signal bounds the
        // whole call, body included, to timeoutMs.
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      status = response.statusCode;
      text = await response.body.text();
    } catch (error) {
      throw new BackendUnavailableError(this.options.backend, error);
    }
    if (status >= 500) throw new BackendUnavailableError(this.options.backend, new Error(`HTTP ${status}`));
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new BackendContractError(this.options.backend, `HTTP ${status} with a body that is not JSON`);
    }
    return { status, body };
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
