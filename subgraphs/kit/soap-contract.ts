import type { Client } from 'soap';

/** One document/literal operation as the backend's WSDL describes it. */
export interface SoapOperation {
  soapAction: string;
  /** The Body's child element that carries the answer. */
  responseElement: string;
  /** The request envelope for these arguments. */
  envelope(args: Record<string, unknown>): string;
}

/** What a SOAP client needs from a WSDL: the envelope's namespace and its operations by name. */
export interface SoapContract {
  envelopeNamespace: string;
  operations: ReadonlyMap<string, SoapOperation>;
}

const XSI = 'http://www.w3.org/2001/XMLSchema-instance';

/**
 * The contract of a node-soap client built from a WSDL. node-soap keeps doing what it does well, reading the WSDL
 * and writing each request's message from the WSDL's schema (namespaces, element order, escaping); the envelope
 * around it is the one node-soap's own calls send. rpc-style and one-way operations are left out: these backends
 * answer every call, document/literal.
 */
export function readContract(client: Client): SoapContract {
  const wsdl = client.wsdl;
  const envelopeKey = wsdl.options.envelopeKey ?? 'soap';
  const envelopeNamespace = wsdl.options.envelopeSoapUrl;
  if (!envelopeNamespace) throw new Error('node-soap named no SOAP envelope namespace');
  const targetNamespace = String(wsdl.definitions.$targetNamespace);
  const opening =
    `<?xml version="1.0" encoding="utf-8"?><${envelopeKey}:Envelope xmlns:${envelopeKey}="${envelopeNamespace}" xmlns:xsi="${XSI}"` +
    `${wsdl.xmlnsInEnvelope}><${envelopeKey}:Body>`;
  const closing = `</${envelopeKey}:Body></${envelopeKey}:Envelope>`;

  const operations = new Map<string, SoapOperation>();
  for (const service of Object.values(wsdl.definitions.services)) {
    for (const port of Object.values(service.ports)) {
      for (const [name, method] of Object.entries(port.binding.methods)) {
        if (method.style === 'rpc' || !method.output?.$name || operations.has(name)) continue;
        const input = method.input;
        operations.set(name, {
          // As node-soap does: the binding's soapAction, else the target namespace and the operation's name.
          soapAction: method.soapAction ?? `${targetNamespace.endsWith('/') ? targetNamespace : `${targetNamespace}/`}${name}`,
          responseElement: method.output.$name,
          envelope: (args) =>
            opening +
            String(wsdl.objectToDocumentXML(String(input.$name), args, input.targetNSAlias ?? '', input.targetNamespace, input.$type || input.$lookupType)) +
            closing,
        });
      }
    }
  }
  return { envelopeNamespace, operations };
}
