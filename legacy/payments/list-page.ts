import type { FormObject } from './form';
import { positiveInt, textParam } from './params';
import { resourceMissing } from './stripe-error';

const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 100;

/** Stripe's list object. */
export interface ListObject<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  url: string;
}

/**
 * One page of a Stripe list, newest first as Stripe lists: `limit` (1 to 100, default 10) items after the item
 * `starting_after` names. The SDK's auto-pagination asks for the next page by the last id it got.
 */
export function listPage<T extends { id: string }>(newestFirst: readonly T[], params: FormObject, url: string, kind: string): ListObject<T> {
  const limit = positiveInt(params, 'limit', MAX_LIMIT) ?? DEFAULT_LIMIT;
  const after = textParam(params, 'starting_after');
  let start = 0;
  if (after !== undefined) {
    const index = newestFirst.findIndex((item) => item.id === after);
    if (index < 0) throw resourceMissing(400, kind, after, 'starting_after');
    start = index + 1;
  }
  const data = newestFirst.slice(start, start + limit);
  return { object: 'list', data, has_more: start + data.length < newestFirst.length, url };
}
