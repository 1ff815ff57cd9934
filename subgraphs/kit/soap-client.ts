import { createClientAsync } from 'soap';
import { z } from 'zod';
import type { Logger } from '../../platform/log';
import { correlationHeaders } from '../../platform/request-context';
import { BackendContractError, BackendUnavailableError } from './errors';
import { BackendPolicy, type Repeatable, type ResilienceSettings } from './resilience';
import { readSoapBody, type SoapElement, type SoapValue } from './soap-answer';
import { readContract, type SoapContract, type SoapOperation } from './soap-contract';
import { soapTransport, type SoapHttpResponse } from './soap-transport';

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
 * turn the codes that blame the caller's input into BAD_USER_INPUT, and any other stays a BACKEND_ERROR. `detail` is
 * the whole detail element, for codes that come with data (the right total of a mismatch, say).
 */
export class SoapClientFault extends BackendContractError {
  constructor(
    backend: string,
    readonly faultCode: string,
    readonly detail: Readonly<Record<string, unknown>> = {},
  ) {
    super(backend, `refused the request: ${faultCode}`);
  }
}

/** What a SOAP 1.1 Fault carries (its children are unqualified); the detail is the backend's own. */
const faultShape = z.object({ faultcode: z.string(), detail: z.looseObject({ code: z.string() }).optional().catch(undefined) });

/**
 * A process-wide client for one SOAP backend, built once from the backend's WSDL (on first use, and again after a
 * failed attempt) over a keep-alive connection pool and the backend's resilience policy. node-soap reads the WSDL and
 * writes the requests; answers are read with saxes, a fraction of node-soap's cost per answer (see `readSoapBody`).
 * Decimals and date-times stay strings: money is never a float.
 */
export class SoapClient {
  readonly policy: BackendPolicy;
  private contract: Promise<SoapContract> | undefined;
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
        const contract = await this.connect();
        const described = contract.operations.get(operation);
        if (!described) throw new BackendContractError(this.options.backend, `the WSDL has no operation ${operation}`);
        return this.send(operation, described, contract.envelopeNamespace, args, attemptSignal);
      },
      signal,
    );
    const parsed = response.safeParse(result);
    if (!parsed.success) throw new BackendContractError(this.options.backend, `unexpected ${operation} answer: ${parsed.error.message}`);
    return parsed.data;
  }

  /** One attempt: posts the envelope and returns the response element, or the error its answer amounts to. */
  private async send(name: string, operation: SoapOperation, envelopeNamespace: string, args: Record<string, unknown>, signal: AbortSignal): Promise<unknown> {
    const { backend, endpoint } = this.options;
    const headers = { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: `"${operation.soapAction}"`, ...correlationHeaders() };
    let answer: SoapHttpResponse;
    try {
      answer = await this.http.request({ url: endpoint, method: 'POST', headers, data: operation.envelope(args), signal });
    } catch (error) {
      throw new BackendUnavailableError(backend, error);
    }
    let body: SoapElement | undefined;
    let unreadable: unknown;
    try {
      body = readSoapBody(answer.data, envelopeNamespace);
    } catch (error) {
      unreadable = error;
    }
    // SOAP 1.1 sends faults with HTTP 500: read the fault before the status.
    if (body?.Fault !== undefined) throw this.faultError(body.Fault);
    if (answer.status >= 500) throw new BackendUnavailableError(backend, new Error(`HTTP ${answer.status}`));
    if (answer.status < 200 || answer.status >= 300) throw new BackendContractError(backend, `unexpected HTTP ${answer.status}`);
    if (!body) throw new BackendContractError(backend, `unreadable ${name} answer: ${(unreadable as Error).message}`);
    const element = body[operation.responseElement];
    if (element === undefined) throw new BackendContractError(backend, `the ${name} answer has no ${operation.responseElement}`);
    // The response element is complex by the WSDL: empty, it has no children (no orders, say), not an empty text.
    return element === '' ? {} : element;
  }

  private faultError(value: SoapValue): Error {
    const fault = faultShape.safeParse(value);
    if (fault.success && /(^|:)Client$/.test(fault.data.faultcode)) {
      return new SoapClientFault(this.options.backend, fault.data.detail?.code ?? 'CLIENT', fault.data.detail);
    }
    // A server fault, or one too odd to read: the backend failed, not the request.
    return new BackendUnavailableError(this.options.backend, new Error('SOAP server fault'));
  }

  private connect(): Promise<SoapContract> {
    this.contract ??= createClientAsync(`${this.options.endpoint}?wsdl`, {
      // node-soap calls `request` the way it calls an axios instance.
      request: this.http.request as never,
      disableCache: true,
      // The WSDL read is bounded like any call: its own timeout, since no request's signal covers it.
      wsdl_options: { signal: AbortSignal.timeout(this.options.resilience.timeoutMs) },
    })
      .then(readContract)
      .catch((error: unknown) => {
        this.contract = undefined;
        throw new BackendUnavailableError(this.options.backend, error);
      });
    return this.contract;
  }
}

/** SOAP repeats an element for a list, and a single element reads as a scalar: always get an array. */
export function asList<T>(value: T | T[] | undefined | null): T[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}
