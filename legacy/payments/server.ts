import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import { optionalUrlVar, readEnv } from '../../platform/env';
import { sendJson } from '../../platform/http';
import { openJournal } from '../kit/journal';
import { createLegacyServer, type BusinessCall, type LegacyServer } from '../kit/legacy-server';
import type { BackendOptions } from '../kit/stand-in';
import { CallStats } from '../kit/stats';
import { parseForm } from './form';
import { idempotencyScope, IdempotencyRecords, requestFingerprint, type IdempotencyRecord } from './idempotency';
import { Ledger, type LedgerChange, type Outcome } from './ledger';
import { newId } from './objects';
import { routeOf } from './routes';
import { invalidRequest, StripeFailure } from './stripe-error';
import { createPaymentWebhooks } from './webhooks';

/** One journal line: what a call changed and, when it is to be replayed, its idempotency record, kept together. */
interface PaymentsChange extends LedgerChange {
  idempotency?: IdempotencyRecord;
}

const MAX_IDEMPOTENCY_KEY = 255;

const settingsShape = {
  /** The one secret key the stand-in accepts. */
  PAYMENTS_API_KEY: z.string().min(1, 'must not be empty').default('sk_test_atrium'),
  /** Where signed events are posted; none are sent when unset. */
  PAYMENTS_WEBHOOK_URL: optionalUrlVar(),
  PAYMENTS_WEBHOOK_SECRET: z.string().min(1, 'must not be empty').default('whsec_atrium_development'),
};

const sha256 = (text: string) => createHash('sha256').update(text).digest();

/**
 * The payment provider: the subset of Stripe's API a card payment needs, wire-compatible with the `stripe` SDK —
 * payment methods (test tokens), payment intents confirmed at creation with manual capture, capture, cancel, refunds,
 * lists, `Idempotency-Key` with Stripe's semantics and signed webhooks. Intents, refunds and idempotency records are
 * journaled under `stateDir` and replayed at start-up. `GET /_admin/intents` shows every intent with its refunds.
 * Reads `PAYMENTS_API_KEY`, `PAYMENTS_WEBHOOK_URL` and `PAYMENTS_WEBHOOK_SECRET` once, here.
 */
export default async function createPaymentsServer(options: BackendOptions): Promise<LegacyServer> {
  const settings = readEnv(settingsShape, options.env);
  const expectedAuthorization = sha256(`Bearer ${settings.PAYMENTS_API_KEY}`);
  const ledger = new Ledger();
  const records = new IdempotencyRecords();
  const journal = openJournal<PaymentsChange>(options.stateDir);
  for (const change of journal.replayed) {
    ledger.apply(change);
    if (change.idempotency) records.apply(change.idempotency);
  }
  const webhooks = createPaymentWebhooks({ url: settings.PAYMENTS_WEBHOOK_URL, secret: settings.PAYMENTS_WEBHOOK_SECRET, log: options.log });
  const stats = new CallStats();

  /** Keeps what a call changed (journal first: a change is acknowledged only once kept), then announces it. */
  const keep = (outcome: Outcome, record: IdempotencyRecord | undefined, key: string | null) => {
    const change: PaymentsChange = { ...outcome.change, ...(record ? { idempotency: record } : {}) };
    if (Object.keys(change).length > 0) journal.append(change);
    ledger.apply(change);
    if (record) records.apply(record);
    outcome.events.forEach((event) => webhooks.send(event, key));
  };

  const legacy = createLegacyServer({
    name: 'payments',
    stats,
    ...options,
    failure: (res, message) => sendJson(res, 500, { error: { type: 'api_error', message } }),
    views: { '/_admin/intents': () => ledger.everything() },
    async handle(req, res, call) {
      const reply = (status: number, body: unknown, headers: Record<string, string> = {}) =>
        sendJson(res, status, body, { 'request-id': newId('req'), ...headers });
      try {
        await answer(req.method, req.headers, call, reply);
      } catch (error) {
        if (!(error instanceof StripeFailure)) throw error;
        reply(error.status, { error: error.error }, error.headers);
      }
    },
  });

  async function answer(
    method: string | undefined,
    headers: IncomingHttpHeaders,
    call: BusinessCall,
    reply: (status: number, body: unknown, headers?: Record<string, string>) => void,
  ): Promise<void> {
    const authorization = headers.authorization;
    if (typeof authorization !== 'string' || !timingSafeEqual(sha256(authorization), expectedAuthorization)) {
      throw new StripeFailure(401, { type: 'invalid_request_error', message: 'Invalid API Key provided' });
    }
    const path = call.url.pathname;
    const found = routeOf(method, path);
    if (!found) throw new StripeFailure(404, { type: 'invalid_request_error', message: `Unrecognized request URL (${method}: ${path.slice(0, 100)}).` });
    const { route, id } = found;
    stats.count(route.operation);
    const key = headers['idempotency-key'];
    if (route.method === 'GET' || typeof key !== 'string') {
      const params = parseForm(route.method === 'GET' ? call.url.search.slice(1) : await call.body());
      const outcome = route.run(ledger, id, params, null);
      keep(outcome, undefined, null);
      return reply(outcome.status, outcome.body, outcome.headers);
    }

    if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY) throw invalidRequest(`Idempotency-Key must be 1 to ${MAX_IDEMPOTENCY_KEY} characters`);
    const scope = idempotencyScope(settings.PAYMENTS_API_KEY, key);
    // Claimed before the body is read: a second request with the key while the first is still arriving gets a 409.
    if (!records.claim(scope)) {
      throw new StripeFailure(409, {
        type: 'invalid_request_error',
        code: 'idempotency_key_in_use',
        message:
          'There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through). Please try again later.',
      });
    }
    try {
      const body = await call.body();
      const request = requestFingerprint(route.method, path, body);
      const saved = records.find(scope);
      if (saved && saved.request !== request) {
        throw new StripeFailure(400, {
          type: 'idempotency_error',
          message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key.slice(0, 60)}' if you meant to execute a different request.`,
        });
      }
      if (saved) return reply(saved.status, saved.body, { 'idempotency-key': key, 'idempotent-replayed': 'true' });
      const outcome = route.run(ledger, id, parseForm(body), scope);
      // Only what an operation answered is kept for a repeat. A 5xx never is: an injected fault is answered before the
      // operation runs, and a crash before anything is kept. (Stripe does keep its 500s; we choose not to, so that a
      // retry after an injected fault can succeed.) Refusals thrown before any change are not kept either.
      const record = outcome.remember ? { scope, request, status: outcome.status, body: outcome.body, savedAt: Date.now() } : undefined;
      keep(outcome, record, key);
      return reply(outcome.status, outcome.body, { ...outcome.headers, 'idempotency-key': key });
    } finally {
      records.release(scope);
    }
  }

  legacy.server.once('close', () => webhooks.stop());
  return legacy;
}
