import { invalidRequest } from './stripe-error';

/** A form value: text, or a nested object from bracket keys (`metadata[order_id]`, `expand[0]`, `expand[]`). */
export type FormValue = string | FormObject;
export interface FormObject {
  [key: string]: FormValue;
}

const BRACKET_KEY = /^([^[\]]+)((?:\[[^[\]]*\])*)$/;

/** Path segments of a form key: `a[b][c]` → a, b, c. A key that is not bracket notation is one segment. */
function segmentsOf(key: string): string[] {
  const match = BRACKET_KEY.exec(key);
  if (!match) return [key];
  return [match[1] as string, ...[...(match[2] as string).matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1] as string)];
}

/**
 * Parses an `application/x-www-form-urlencoded` body (or a query string) the way Stripe reads it: bracket keys nest,
 * an empty bracket appends. A key used both as text and as an object is a 400, as Stripe answers it.
 */
export function parseForm(text: string): FormObject {
  // Objects without a prototype: a key such as `__proto__[x]` is then just a key.
  const newObject = (): FormObject => Object.create(null) as FormObject;
  const root = newObject();
  for (const [key, value] of new URLSearchParams(text)) {
    const segments = segmentsOf(key);
    let node = root;
    segments.forEach((segment, i) => {
      const name = segment === '' ? String(Object.keys(node).length) : segment;
      if (i === segments.length - 1) {
        if (typeof node[name] === 'object') throw invalidRequest(`Invalid value for ${segments[0]}: expected an object`, segments[0]);
        node[name] = value;
        return;
      }
      const next = (node[name] ??= newObject());
      if (typeof next === 'string') throw invalidRequest(`Invalid value for ${segments[0]}: expected text`, segments[0]);
      node = next;
    });
  }
  return root;
}
