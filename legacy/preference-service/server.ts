import { z } from 'zod';
import { sendJson } from '../../platform/http';
import { openJournal } from '../kit/journal';
import { createLegacyServer, type LegacyServer } from '../kit/legacy-server';
import type { BackendOptions } from '../kit/stand-in';
import { listParam, MAX_BATCH, sendRestError } from '../kit/rest';
import { CallStats } from '../kit/stats';
import { CHANNELS, seedPreferences, type StoredPreferences } from '../seed/preferences';
import { customerNumber } from '../seed/random';

const preferencesBody = z
  .object({
    language: z.string().regex(/^[a-z]{2}(-[A-Z]{2})?$/, 'must be a language tag such as "en" or "en-GB"'),
    marketingOptIn: z.boolean(),
    channels: z
      .array(z.enum(CHANNELS))
      .max(CHANNELS.length)
      .refine((list) => new Set(list).size === list.length, 'must not repeat a channel'),
  })
  .strict();

/**
 * The preference service: REST/JSON.
 * - `GET /preferences?customerIds=a,b,c` up to 100 customers' preferences; unknown customers are left out
 * - `PUT /preferences/{customerId}` replaces one customer's preferences (idempotent by nature), 404 when unknown
 *
 * Changes are kept in a journal under `stateDir`, replayed over the seed at start-up.
 */
export default function createPreferenceServer(options: BackendOptions): LegacyServer {
  const store = new Map(seedPreferences().map((p) => [p.customerId, p]));
  const journal = openJournal<StoredPreferences>(options.stateDir);
  for (const change of journal.replayed) store.set(change.customerId, change);
  const stats = new CallStats();

  return createLegacyServer({
    name: 'preference-service',
    stats,
    ...options,
    failure: (res, message) => sendRestError(res, 500, 'server_error', message),
    async handle(req, res, { url, body }) {
      if (url.pathname === '/preferences' && req.method === 'GET') {
        const ids = listParam(url.searchParams.get('customerIds'));
        if (ids.length === 0 || ids.length > MAX_BATCH) return sendRestError(res, 400, 'invalid_ids', `customerIds must list 1 to ${MAX_BATCH} customer ids`);
        stats.count('getPreferences');
        return sendJson(res, 200, { preferences: ids.map((id) => store.get(id)).filter((p): p is StoredPreferences => p !== undefined) });
      }
      const single = /^\/preferences\/([^/]+)$/.exec(url.pathname);
      if (single && req.method === 'PUT') {
        const id = decodeURIComponent(single[1] as string);
        let json: unknown;
        try {
          json = JSON.parse(await body());
        } catch {
          return sendRestError(res, 400, 'invalid_json', 'body must be JSON');
        }
        const parsed = preferencesBody.safeParse(json);
        if (!parsed.success) {
          const message = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'} ${i.message}`).join('; ');
          return sendRestError(res, 400, 'invalid_preferences', message);
        }
        const current = customerNumber(id) === undefined ? undefined : store.get(id);
        if (!current) return sendRestError(res, 404, 'unknown_customer', `no customer ${id.slice(0, 40)}`);
        stats.count('putPreferences');
        const updated: StoredPreferences = { customerId: id, ...parsed.data, updatedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') };
        journal.append(updated);
        store.set(id, updated);
        return sendJson(res, 200, updated);
      }
      return sendRestError(res, 404, 'no_route', `no route ${req.method} ${url.pathname}`);
    },
  });
}
