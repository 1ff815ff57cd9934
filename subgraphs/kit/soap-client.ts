import { createClientAsync, type Client } from 'soap';
import type { z } from 'zod';
import type { Logger } from '../../platform/log';
import { correlationHeaders } from '../../platform/request-context';
import { BackendContractError, BackendUnavailableError } from './errors';
import { BackendPolicy, type Repeatable, type ResilienceSettings } from './resilience';
import { soapTransport } from './soap-transport';

export interface SoapClientOptions {
  /** Name shown to clients in errors, e.g. "ERP". */
  backend: string;
  /** The service endpoint; its WSDL is read from `<endpoint>?wsdl`. */
  endpoint: string;
  /** Keep-alive connections kept open to the backend. */
  connections: number;
  resilience: ResilienceSettings;
  log: Logger;
}

/** Far beyond any real answer of these services; a larger one is a broken backend, refused before it fills memory. */
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

/**
 * A `soap:Client` fault: the backend refused the request itself. `faultCode` is the backend's detail code; adapters
 * turn the codes that blame the caller's input into BAD_USER_INPUT, and any other stays a BACKEND_ERROR.
 */
export class SoapClientFault extends BackendContractError {
  constructor(
    backend: string,
    readonly faultCode: string,
  ) {
    super(backend, `refused the request: ${faultCode}`);
  }
}

interface SoapError {
  root?: { Envelope?: { Body?: { Fault?: { faultcode?: unknown; faultstring?: unknown; detail?: { code?: unknown } } } } };
  response?: { status?: number };
}

/**
 * A process-wide client for one SOAP backend, built once from the backend's WSDL (on first use, and again after a
 * failed attempt) over a keep-alive connection pool and the backend's resilience policy. Decimals and date-times stay
 * strings: money is never a float.
 */
export class SoapClient {
  readonly policy: BackendPolicy;
  private client: Promise<Client> | undefined;
  private readonly http: ReturnType<typeof soapTransport>;

  constructor(private readonly options: SoapClientOptions) {
    this.http = soapTransport(options.endpoint, { connections: options.connections, maxResponseBytes: MAX_RESPONSE_BYTES });
    this.policy = new BackendPolicy(options.backend, options.resilience, options.log);
  }

  /** Closes the kept-alive connections. */
  async close(): Promise<void> {
    await this.http.close();
  }

  /**
   * Calls an operation and returns its response element, checked against the schema the WSDL promises. Only calls the
   * backend deduplicates (reads, writes with an external reference) may be `safe-to-retry`. `signal` is the request's:
   * when it aborts, the call ends with DEADLINE_EXCEEDED and nothing more is sent.
   */
  async call<T>(operation: string, args: Record<string, unknown>, response: z.ZodType<T>, repeatable: Repeatable, signal?: AbortSignal): Promise<T> {
    const result = await this.policy.execute(
      repeatable,
      operation,
      async (attemptSignal) => {
        const client = await this.connect();
        const method = (client as unknown as Record<string, unknown>)[`${operation}Async`];
        if (typeof method !== 'function') throw new BackendContractError(this.options.backend, `the WSDL has no operation ${operation}`);
        try {
          // node-soap hands these options to its HTTP client (the attempt's timeout or the request's end aborts the call itself), then extra headers.
          const [answer] = (await method.call(client, args, { signal: attemptSignal }, correlationHeaders())) as [unknown];
          return answer;
        } catch (error) {
          throw this.translate(error);
        }
      },
      signal,
    );
    const parsed = response.safeParse(result ?? {});
    if (!parsed.success) throw new BackendContractError(this.options.backend, `unexpected ${operation} answer: ${parsed.error.message}`);
    return parsed.data;
  }

  private connect(): Promise<Client> {
    this.client ??= createClientAsync(`${this.options.endpoint}?wsdl`, {
      // node-soap calls `request` the way it calls an axios instance.
      request: this.http.request as never,
      disableCache: true,
      // The WSDL read is bounded like any call: its own timeout, since no request's signal covers it.
      wsdl_options: { signal: AbortSignal.timeout(this.options.resilience.timeoutMs) },
      customDeserializer: { decimal: (text: string) => text, dateTime: (text: string) => text },
    }).then(
      (client) => {
        client.setEndpoint(this.options.endpoint);
        return client;
      },
      (error: unknown) => {
        this.client = undefined;
        throw new BackendUnavailableError(this.options.backend, error);
      },
    );
    return this.client;
  }

  private translate(error: unknown): Error {
    const fault = (error as SoapError).root?.Envelope?.Body?.Fault;
    if (fault && typeof fault.faultcode === 'string' && /(^|:)Client$/.test(fault.faultcode)) {
      return new SoapClientFault(this.options.backend, typeof fault.detail?.code === 'string' ? fault.detail.code : 'CLIENT');
    }
    const status = (error as SoapError).response?.status;
    if (fault || status === undefined || status >= 500) return new BackendUnavailableError(this.options.backend, error);
    return new BackendContractError(this.options.backend, `unexpected HTTP ${status}`);
  }
}

/** SOAP repeats an element for a list; node-soap gives a single element as a scalar. Always get an array. */
export function asList<T>(value: T | T[] | undefined | null): T[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}
