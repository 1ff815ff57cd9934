import type { FormObject, FormValue } from './form';
import { invalidRequest } from './stripe-error';

/** Refuses parameters an endpoint does not know, as Stripe does (`Received unknown parameter: x`). */
export function onlyParams(params: FormObject, allowed: readonly string[]): void {
  const unknown = Object.keys(params).find((name) => !allowed.includes(name));
  if (unknown !== undefined) throw invalidRequest(`Received unknown parameter: ${unknown.slice(0, 60)}`, unknown.slice(0, 60));
}

/** A text parameter; undefined when absent. */
export function textParam(params: FormObject, name: string): string | undefined {
  const value = params[name];
  if (value !== undefined && typeof value !== 'string') throw invalidRequest(`Invalid string: ${name} must be text`, name);
  return value;
}

/** A text parameter that must be there. */
export function requiredText(params: FormObject, name: string): string {
  const value = textParam(params, name);
  if (value === undefined || value === '') throw invalidRequest(`Missing required param: ${name}.`, name);
  return value;
}

/** A whole number from 1 to `max`; undefined when absent. */
export function positiveInt(params: FormObject, name: string, max = 99_999_999): number | undefined {
  const text = textParam(params, name);
  if (text === undefined) return undefined;
  const value = /^\d{1,9}$/.test(text) ? Number(text) : NaN;
  if (!(value >= 1 && value <= max)) throw invalidRequest(`Invalid integer: ${name} must be a whole number from 1 to ${max}`, name);
  return value;
}

/** One of a few words; undefined when absent. */
export function oneOf<T extends string>(params: FormObject, name: string, values: readonly T[]): T | undefined {
  const text = textParam(params, name);
  if (text === undefined) return undefined;
  if (!(values as readonly string[]).includes(text)) throw invalidRequest(`Invalid ${name}: must be one of ${values.join(', ')}`, name);
  return text as T;
}

/** The items of an array parameter, sent as `name[0]=…` or `name[]=…`. */
export function listParam(params: FormObject, name: string): string[] {
  const value = params[name];
  if (value === undefined) return [];
  if (typeof value === 'string') throw invalidRequest(`Invalid array: ${name} must be a list`, name);
  return Object.values(value).map((item: FormValue) => {
    if (typeof item !== 'string') throw invalidRequest(`Invalid array: ${name} must list text`, name);
    return item;
  });
}

const MAX_METADATA_KEYS = 50;
const MAX_METADATA_KEY = 40;
const MAX_METADATA_VALUE = 500;

/** Stripe's `metadata[key]=value` pairs, with its limits (50 keys of 40 characters, values of 500). */
export function metadataParam(params: FormObject): Record<string, string> {
  const value = params.metadata;
  // `metadata=` (empty) is how a form says "none".
  if (value === undefined || value === '') return {};
  if (typeof value === 'string') throw invalidRequest('Invalid object: metadata must be an object', 'metadata');
  const entries = Object.entries(value);
  if (entries.length > MAX_METADATA_KEYS) throw invalidRequest(`metadata has more than ${MAX_METADATA_KEYS} keys`, 'metadata');
  for (const [key, item] of entries) {
    if (typeof item !== 'string' || key.length > MAX_METADATA_KEY || item.length > MAX_METADATA_VALUE) {
      throw invalidRequest(
        `metadata keys are text of up to ${MAX_METADATA_KEY} characters, values up to ${MAX_METADATA_VALUE}`,
        `metadata[${key.slice(0, 40)}]`,
      );
    }
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

/** A unix-time range filter: `created=t` or `created[gt|gte|lt|lte]=t`. */
export function timeRangeParam(params: FormObject, name: string): (seconds: number) => boolean {
  const value = params[name];
  if (value === undefined) return () => true;
  const bounds = typeof value === 'string' ? { eq: value } : value;
  const checks = Object.entries(bounds).map(([op, text]) => {
    const t = typeof text === 'string' && /^\d{1,12}$/.test(text) ? Number(text) : NaN;
    if (Number.isNaN(t)) throw invalidRequest(`Invalid integer: ${name} must be unix seconds`, name);
    const compare: Record<string, (s: number) => boolean> = { eq: (s) => s === t, gt: (s) => s > t, gte: (s) => s >= t, lt: (s) => s < t, lte: (s) => s <= t };
    const check = compare[op];
    if (!check) throw invalidRequest(`Received unknown parameter: ${name}[${op.slice(0, 20)}]`, name);
    return check;
  });
  return (seconds) => checks.every((check) => check(seconds));
}
