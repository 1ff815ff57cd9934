import { Pool } from 'undici';

/** What node-soap hands its HTTP client (the subset of an axios request config it builds). */
interface SoapHttpRequest {
  url: string;
  method: string;
  headers: Record<string, string | number>;
  data?: string | Buffer;
  signal?: AbortSignal;
}

/** What node-soap reads back (the subset of an axios response it uses), and what SoapClient reads an answer from. */
export interface SoapHttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  data: string;
}

/** Headers undici sets itself from the connection; node-soap adds them as a browser-era client would. */
const CONNECTION_HEADERS = new Set(['host', 'connection']);

/**
 * One keep-alive undici pool to a SOAP backend, called in the shape of an axios request: node-soap reads the WSDL
 * through it (its `request` option), and SoapClient posts its envelopes through it, without axios's per-call adapters
 * and redirect wrapper. Every status is returned as is (faults come with 500); a network failure, a too large answer
 * or the signal aborting rejects.
 */
export function soapTransport(origin: string, options: { connections: number; maxResponseBytes: number }) {
  const poolOrigin = new URL(origin).origin;
  const pool = new Pool(poolOrigin, { connections: options.connections, keepAliveTimeout: 30_000, maxResponseSize: options.maxResponseBytes });
  const request = async ({ url, method, headers, data, signal }: SoapHttpRequest): Promise<SoapHttpResponse> => {
    const target = new URL(url);
    // The WSDL and the endpoint share the backend's origin; anything else (an import elsewhere) is not followed.
    if (target.origin !== poolOrigin) throw new Error(`refusing to fetch ${target.origin} through the ${poolOrigin} pool`);
    const sent: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) if (!CONNECTION_HEADERS.has(name.toLowerCase())) sent[name] = String(value);
    const response = await pool.request({ method, path: `${target.pathname}${target.search}`, headers: sent, body: data, signal });
    return { status: response.statusCode, headers: response.headers, data: await response.body.text() };
  };
  return { request, close: () => pool.close() };
}
