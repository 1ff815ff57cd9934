import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listen as soapListen, type IOptions, type IServices } from 'soap';
import type { BusinessCall } from './legacy-server';
import { MAX_BATCH } from './rest';
import type { CallStats } from './stats';

/** A SOAP 1.1 fault a service operation throws; node-soap turns it into a `soap:Fault` with HTTP 500. */
export interface SoapFault {
  Fault: { faultcode: string; faultstring: string; detail: { code: string }; statusCode: 500 };
}

/** `soap:Client` faults blame the request (bad or unknown input); `soap:Server` faults blame the backend. */
export function soapFault(kind: 'Client' | 'Server', code: string, message: string): SoapFault {
  // SOAP 1.1 answers every fault with HTTP 500.
  return { Fault: { faultcode: `soap:${kind}`, faultstring: message, detail: { code }, statusCode: 500 } };
}

export type SoapOperations = Record<string, (args: Record<string, unknown>) => unknown>;

/** The SOAP part of a legacy backend: serves its WSDL at `?wsdl` and answers its operations at `path`. */
export interface SoapEndpoint {
  handle(req: IncomingMessage, res: ServerResponse, call: BusinessCall): Promise<void>;
  failure(res: ServerResponse, message: string): void;
}

/**
 * node-soap reads xsd:int and xsd:long with parseInt, which would turn a Quantity of "1.5" into 1 and book it; read the number as
 * sent so the operations can refuse it. The WSDL parser honours this option on servers too, though it is typed for clients.
 */
const intsAsSent: Pick<IOptions, 'customDeserializer'> = { customDeserializer: { int: (text: string) => Number(text), long: (text: string) => Number(text) } };

const escapeXml = (text: string) => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

function sendFault(res: ServerResponse, faultcode: string, message: string): void {
  const body =
    '<?xml version="1.0" encoding="utf-8"?>' +
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault>' +
    `<faultcode>${faultcode}</faultcode><faultstring>${escapeXml(message)}</faultstring>` +
    '</soap:Fault></soap:Body></soap:Envelope>';
  res.writeHead(500, { 'content-type': 'text/xml; charset=utf-8' });
  res.end(body);
}

/**
 * Builds a SOAP endpoint from a WSDL file and its operations, each call counted in `stats` under its operation name.
 * The WSDL's `{{SOAP_ADDRESS}}` is replaced by the address the client reached, so `?wsdl` is usable as served.
 */
export async function createSoapEndpoint(options: {
  wsdlPath: string;
  path: string;
  service: string;
  port: string;
  operations: SoapOperations;
  stats: CallStats;
}): Promise<SoapEndpoint> {
  const wsdlTemplate = readFileSync(options.wsdlPath, 'utf8');
  const counted: SoapOperations = {};
  for (const [name, operation] of Object.entries(options.operations)) {
    counted[name] = (args) => {
      options.stats.count(name);
      return operation(args ?? {});
    };
  }
  const services: IServices = { [options.service]: { [options.port]: counted } };
  const server = await new Promise<ReturnType<typeof soapListen>>((resolve, reject) => {
    const created = soapListen(null, {
      path: options.path,
      services,
      xml: wsdlTemplate.replace('{{SOAP_ADDRESS}}', `http://localhost${options.path}`),
      ...intsAsSent,
      callback: (error: unknown) => (error ? reject(error) : resolve(created)),
    });
  });

  return {
    failure: (res, message) => sendFault(res, 'soap:Server', message),
    async handle(req, res, { url, body }) {
      if (url.pathname !== options.path) return sendFault(res, 'soap:Client', `no service at ${url.pathname}`);
      if (req.method === 'GET' && url.search.toLowerCase() === '?wsdl') {
        const address = `http://${req.headers.host ?? 'localhost'}${options.path}`;
        res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' });
        res.end(wsdlTemplate.replace('{{SOAP_ADDRESS}}', escapeXml(address)));
        return;
      }
      if (req.method !== 'POST') return sendFault(res, 'soap:Client', 'SOAP calls are HTTP POST; the WSDL is at ?wsdl');
      const answer = await server.processRequest(await body(), { headers: req.headers, url: req.url });
      // node-soap answers an envelope it cannot dispatch (an unknown operation, say) with a plain-text stack trace.
      if (!answer.body.trimStart().startsWith('<')) return sendFault(res, 'soap:Client', 'the request names no operation of this service');
      res.writeHead(answer.statusCode, { 'content-type': 'text/xml; charset=utf-8' });
      res.end(answer.body);
    },
  };
}

/** SOAP repeats an element for a list, and node-soap gives one element as a scalar: always get an array. */
export function asList(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** A required string element, or a Client fault naming it. */
export function requiredText(args: Record<string, unknown>, name: string): string {
  const value = args[name];
  if (typeof value !== 'string' || value.trim() === '') throw soapFault('Client', 'INVALID_REQUEST', `${name} is required`);
  return value.trim();
}

/** A repeated id element, 1 to MAX_BATCH times, or a Client fault naming it. */
export function idList(args: Record<string, unknown>, name: string): string[] {
  const ids = asList(args[name]).filter((id): id is string => typeof id === 'string' && id !== '');
  if (ids.length === 0 || ids.length > MAX_BATCH) throw soapFault('Client', 'INVALID_REQUEST', `${name} must be given 1 to ${MAX_BATCH} times`);
  return ids;
}
