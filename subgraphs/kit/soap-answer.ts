import { SaxesParser, type SaxesTagNS } from 'saxes';
import { z } from 'zod';

/** An element's content: its text when it has no child elements, otherwise its children by local name. */
export type SoapValue = string | null | SoapElement | SoapValue[];
export interface SoapElement {
  [localName: string]: SoapValue;
}

const XSI = 'http://www.w3.org/2001/XMLSchema-instance';

/** An xsd:int. Answers carry text; read it strictly (no "1.5", no "") into a number, around whitespace as XSD allows. */
export const xsdInt = z
  .string()
  .trim()
  .regex(/^[+-]?\d+$/, 'an xsd:int')
  .transform(Number)
  .pipe(z.int32());

/** A non-negative xsd:long within JavaScript's safe integers (a counter, a sequence number), read as strictly as `xsdInt`. */
export const xsdCount = z
  .string()
  .trim()
  .regex(/^\+?\d+$/, 'a non-negative xsd:long')
  .transform(Number)
  .pipe(z.number().int().max(Number.MAX_SAFE_INTEGER));

/** An xsd:boolean: true, false, 1 or 0. */
export const xsdBoolean = z.enum(['true', 'false', '1', '0']).transform((text) => text === 'true' || text === '1');

/** Children keyed by local name; no prototype, so an element named `__proto__` or `constructor` is only data. */
const element = (): SoapElement => Object.create(null) as SoapElement;

interface Open {
  children: SoapElement | undefined;
  text: string;
  nil: boolean;
}

/**
 * Reads a SOAP answer into plain objects and returns its Body, or throws on anything that is not a well-formed
 * envelope in `envelopeNamespace`. saxes checks well-formedness, resolves namespaces (any prefix, or none) and
 * decodes character references; a DTD is refused outright, since SOAP forbids one (SOAP 1.1 §3) and it is how
 * entity-expansion attacks arrive. Names lose their namespace; a repeated name becomes an array, a single one stays
 * a scalar (see `asList`); a leaf's text stays text (decimals and date-times are never numbers here); `xsi:nil`
 * is null.
 */
export function readSoapBody(xml: string, envelopeNamespace: string): SoapElement {
  const parser = new SaxesParser({ xmlns: true });
  const root = element();
  const stack: Open[] = [{ children: root, text: '', nil: false }];
  let body: SoapElement | undefined;

  parser.on('doctype', () => {
    throw new Error('a SOAP message must not contain a DTD');
  });
  parser.on('opentag', (tag: SaxesTagNS) => {
    if (stack.length === 1 && (tag.local !== 'Envelope' || tag.uri !== envelopeNamespace)) {
      throw new Error(`the root element is not a SOAP Envelope in ${envelopeNamespace}`);
    }
    const nil = Object.values(tag.attributes).some((a) => a.uri === XSI && a.local === 'nil' && (a.value === 'true' || a.value === '1'));
    stack.push({ children: undefined, text: '', nil });
  });
  const addText = (text: string) => {
    (stack[stack.length - 1] as Open).text += text;
  };
  parser.on('text', addText);
  parser.on('cdata', addText);
  parser.on('closetag', (tag: SaxesTagNS) => {
    const closed = stack.pop() as Open;
    const parent = stack[stack.length - 1] as Open;
    // Text beside child elements is layout; a leaf's text is its value as sent (xsd:string keeps its whitespace).
    const value: SoapValue = closed.nil ? null : (closed.children ?? closed.text);
    parent.children ??= element();
    const siblings = parent.children;
    const earlier = siblings[tag.local];
    if (earlier === undefined) siblings[tag.local] = value;
    else if (Array.isArray(earlier)) earlier.push(value);
    else siblings[tag.local] = [earlier, value];
    if (tag.local === 'Body' && tag.uri === envelopeNamespace && stack.length === 2) body = closed.children ?? element();
  });
  parser.write(xml).close();
  if (!body) throw new Error('the envelope has no Body');
  return body;
}
