/** DataLoader batches never exceed what one legacy backend call accepts. */
export const MAX_BATCH = 100;

/** Orders `items` to match `keys` for a DataLoader batch function: one entry per key, `undefined` → null. */
export function byKeys<K, V>(keys: readonly K[], items: Iterable<V>, keyOf: (item: V) => K): (V | null)[] {
  const found = new Map<K, V>();
  for (const item of items) found.set(keyOf(item), item);
  return keys.map((key) => found.get(key) ?? null);
}

/** Groups `items` by `keys` for a DataLoader batch function: one (possibly empty) list per key. */
export function groupByKeys<K, V>(keys: readonly K[], items: Iterable<V>, keyOf: (item: V) => K): V[][] {
  const groups = new Map<K, V[]>(keys.map((key) => [key, []]));
  for (const item of items) groups.get(keyOf(item))?.push(item);
  return keys.map((key) => groups.get(key) ?? []);
}
