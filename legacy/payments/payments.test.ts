import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { startBackend, type RunningBackend } from '../../test/support/legacy';
import { eventually, paymentsWith, startHeldPost, startRestartablePayments, startWebhookReceiver, type WebhookReceiver } from '../../test/support/payments';
import { IdempotencyRecords, RETENTION_MS } from './idempotency';

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown> & { error?: Record<string, unknown> };
}

const API_KEY = 'sk_test_atrium';
const SECRET = 'whsec_for_stand_in_tests';
const form = { 'content-type': 'application/x-www-form-urlencoded' };

/** Calls the stand-in as any HTTP client would: form bodies, the key as a bearer token. */
const caller =
  (base: () => string, apiKey = API_KEY) =>
  async (method: 'GET' | 'POST', path: string, params?: Record<string, string>, headers: Record<string, string> = {}): Promise<Answer> => {
    const response = await fetch(`${base()}${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, ...(params ? form : {}), ...headers },
      ...(params ? { body: new URLSearchParams(params).toString() } : {}),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Answer['body'] };
  };

const authorization = (overrides: Record<string, string> = {}) => ({
  amount: '1000',
  currency: 'eur',
  payment_method: 'pm_card_visa',
  capture_method: 'manual',
  confirm: 'true',
  'metadata[order_id]': `ord-${randomUUID()}`,
  ...overrides,
});

describe('payments stand-in (Stripe subset)', () => {
  let receiver: WebhookReceiver;
  let payments: RunningBackend;
  let call: ReturnType<typeof caller>;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    payments = await startBackend(paymentsWith({ PAYMENTS_WEBHOOK_URL: receiver.url, PAYMENTS_WEBHOOK_SECRET: SECRET }));
    call = caller(() => payments.url);
  });
  afterAll(async () => {
    await payments.stop();
    await receiver.stop();
  });
  beforeEach(() => payments.restore());

  const adminIntents = async () => (await (await fetch(`${payments.url}/_admin/intents`)).json()) as Array<Record<string, unknown>>;
  const authorized = async (overrides: Record<string, string> = {}) => {
    const answer = await call('POST', '/v1/payment_intents', authorization(overrides));
    expect(answer.status).toBe(200);
    return answer.body as { id: string; amount: number };
  };

  describe('authentication', () => {
    it.each([
      ['no key', undefined],
      ['another key', 'sk_test_someone_else'],
    ])('refuses %s with Stripe’s 401, not counted', async (_case, key) => {
      const response = await fetch(`${payments.url}/v1/payment_methods/pm_card_visa`, key ? { headers: { authorization: `Bearer ${key}` } } : {});
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } });
      expect(await payments.stats()).toEqual({ total: 0, calls: {} });
    });

    it('accepts the key PAYMENTS_API_KEY names instead of the default', async () => {
      const other = await startBackend(paymentsWith({ PAYMENTS_API_KEY: 'sk_test_other' }));
      try {
        expect((await caller(() => other.url)('GET', '/v1/payment_methods/pm_card_visa')).status).toBe(401);
        expect((await caller(() => other.url, 'sk_test_other')('GET', '/v1/payment_methods/pm_card_visa')).status).toBe(200);
      } finally {
        await other.stop();
      }
    });
  });

  describe('GET /v1/payment_methods/:id', () => {
    it.each([
      ['pm_card_visa', 'visa', '4242'],
      ['pm_card_mastercard', 'mastercard', '4444'],
      ['pm_card_amex', 'amex', '8431'],
    ])('answers %s as a card with brand and last four digits only', async (id, brand, last4) => {
      const answer = await call('GET', `/v1/payment_methods/${id}`);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ id, object: 'payment_method', type: 'card', card: { brand, last4, exp_month: 12, exp_year: 2034 } });
      expect(JSON.stringify(answer.body)).not.toMatch(/\d{12,}/);
      expect(await payments.stats()).toEqual({ total: 1, calls: { retrievePaymentMethod: 1 } });
    });

    it('answers an unknown payment method with resource_missing', async () => {
      const answer = await call('GET', '/v1/payment_methods/pm_card_nobody');
      expect(answer).toMatchObject({
        status: 400,
        body: {
          error: { type: 'invalid_request_error', code: 'resource_missing', param: 'payment_method', message: "No such PaymentMethod: 'pm_card_nobody'" },
        },
      });
    });
  });

  describe('POST /v1/payment_intents', () => {
    it('authorizes a good card: requires_capture, with its metadata, in Stripe’s shape', async () => {
      const asked = authorization({ 'metadata[workflow_id]': 'wf-1' });
      const answer = await call('POST', '/v1/payment_intents', asked);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('request-id')).toMatch(/^req_/);
      expect(answer.body).toMatchObject({
        id: expect.stringMatching(/^pi_/),
        object: 'payment_intent',
        amount: 1000,
        amount_capturable: 1000,
        amount_received: 0,
        currency: 'eur',
        capture_method: 'manual',
        status: 'requires_capture',
        payment_method: 'pm_card_visa',
        latest_charge: expect.stringMatching(/^ch_/),
        livemode: false,
        canceled_at: null,
        cancellation_reason: null,
        metadata: { order_id: asked['metadata[order_id]'], workflow_id: 'wf-1' },
      });
      expect(Math.abs((answer.body.created as number) - Date.now() / 1000)).toBeLessThan(5);
      expect(await payments.stats()).toEqual({ total: 1, calls: { createPaymentIntent: 1 } });
    });

    it.each([
      ['no amount', { amount: undefined }, 'amount'],
      ['a zero amount', { amount: '0' }, 'amount'],
      ['a fractional amount', { amount: '12.50' }, 'amount'],
      ['a currency that is not three letters', { currency: 'euro' }, 'currency'],
      ['no payment method', { payment_method: undefined }, 'payment_method'],
      ['an unknown payment method', { payment_method: 'pm_card_nobody' }, 'payment_method'],
      ['automatic capture', { capture_method: 'automatic' }, 'capture_method'],
      ['no confirmation', { confirm: undefined }, 'confirm'],
      ['an unknown parameter', { customer: 'cus_1' }, 'customer'],
      ['a metadata key longer than 40 characters', { [`metadata[${'k'.repeat(41)}]`]: 'v' }, `metadata[${'k'.repeat(40)}]`],
      ['an expansion it cannot do', { 'expand[0]': 'customer' }, 'expand'],
    ])('refuses %s with a 400 naming the parameter, and keeps nothing', async (_case, change, param) => {
      const params = Object.fromEntries(Object.entries({ ...authorization(), ...change }).filter((entry): entry is [string, string] => entry[1] !== undefined));
      const answer = await call('POST', '/v1/payment_intents', params);
      expect(answer).toMatchObject({ status: 400, body: { error: { type: 'invalid_request_error', param, message: expect.any(String) } } });
      expect((await adminIntents()).filter((intent) => (intent.metadata as Record<string, string>).order_id === params['metadata[order_id]'])).toEqual([]);
    });

    it.each([
      ['pm_card_chargeDeclined', 'generic_decline'],
      ['pm_card_chargeDeclinedInsufficientFunds', 'insufficient_funds'],
    ])('answers a declining card (%s) with a 402 card_error and keeps the intent', async (paymentMethod, declineCode) => {
      const answer = await call('POST', '/v1/payment_intents', authorization({ payment_method: paymentMethod }));
      expect(answer).toMatchObject({
        status: 402,
        body: {
          error: {
            type: 'card_error',
            code: 'card_declined',
            decline_code: declineCode,
            message: expect.any(String),
            payment_intent: { object: 'payment_intent', status: 'requires_payment_method', amount_capturable: 0 },
          },
        },
      });
      const id = (answer.body.error?.payment_intent as { id: string }).id;
      expect(await call('GET', `/v1/payment_intents/${id}`)).toMatchObject({
        status: 200,
        body: { status: 'requires_payment_method', last_payment_error: { code: 'card_declined', decline_code: declineCode } },
      });
    });

    it('expands latest_charge into the charge when asked', async () => {
      const answer = await call('POST', '/v1/payment_intents', authorization({ 'expand[0]': 'latest_charge' }));
      expect(answer.body.latest_charge).toMatchObject({
        object: 'charge',
        amount: 1000,
        amount_refunded: 0,
        captured: false,
        payment_intent: answer.body.id,
        payment_method_details: { type: 'card', card: { brand: 'visa', last4: '4242' } },
      });
    });
  });

  describe('capture and cancel', () => {
    it('captures part of an authorization once, releasing the rest', async () => {
      const { id } = await authorized();
      const tooMuch = await call('POST', `/v1/payment_intents/${id}/capture`, { amount_to_capture: '1001' });
      expect(tooMuch).toMatchObject({ status: 400, body: { error: { code: 'amount_too_large', param: 'amount_to_capture' } } });

      const captured = await call('POST', `/v1/payment_intents/${id}/capture`, { amount_to_capture: '300' });
      expect(captured).toMatchObject({ status: 200, body: { id, status: 'succeeded', amount_received: 300, amount_capturable: 0 } });

      const again = await call('POST', `/v1/payment_intents/${id}/capture`);
      expect(again).toMatchObject({
        status: 400,
        body: { error: { code: 'payment_intent_unexpected_state', payment_intent: { status: 'succeeded', amount_received: 300 } } },
      });
      const canceled = await call('POST', `/v1/payment_intents/${id}/cancel`);
      expect(canceled).toMatchObject({ status: 400, body: { error: { code: 'payment_intent_unexpected_state' } } });
    });

    it('cancels an authorization with its reason; a canceled intent cannot be captured', async () => {
      const { id } = await authorized();
      const canceled = await call('POST', `/v1/payment_intents/${id}/cancel`, { cancellation_reason: 'requested_by_customer' });
      expect(canceled).toMatchObject({
        status: 200,
        body: { id, status: 'canceled', cancellation_reason: 'requested_by_customer', canceled_at: expect.any(Number), amount_capturable: 0 },
      });
      expect(await call('POST', `/v1/payment_intents/${id}/capture`)).toMatchObject({
        status: 400,
        body: { error: { code: 'payment_intent_unexpected_state' } },
      });
      expect(await call('POST', `/v1/payment_intents/${id}/cancel`, { cancellation_reason: 'bored' })).toMatchObject({
        status: 400,
        body: { error: { param: 'cancellation_reason' } },
      });
    });

    it('cancels a declined intent', async () => {
      const declined = await call('POST', '/v1/payment_intents', authorization({ payment_method: 'pm_card_chargeDeclined' }));
      const id = (declined.body.error?.payment_intent as { id: string }).id;
      expect(await call('POST', `/v1/payment_intents/${id}/cancel`)).toMatchObject({ status: 200, body: { status: 'canceled' } });
    });

    it('answers an unknown intent with a 404 resource_missing', async () => {
      for (const [method, path] of [
        ['GET', '/v1/payment_intents/pi_nobody'],
        ['POST', '/v1/payment_intents/pi_nobody/capture'],
        ['POST', '/v1/payment_intents/pi_nobody/cancel'],
      ] as const) {
        expect(await call(method, path)).toMatchObject({
          status: 404,
          body: { error: { code: 'resource_missing', message: "No such payment_intent: 'pi_nobody'" } },
        });
      }
    });
  });

  describe('refunds', () => {
    it('refunds a captured payment in parts, never more than was received', async () => {
      const { id } = await authorized();
      expect(await call('POST', '/v1/refunds', { payment_intent: id })).toMatchObject({
        status: 400,
        body: { error: { code: 'payment_intent_unexpected_state' } },
      });
      await call('POST', `/v1/payment_intents/${id}/capture`);

      const first = await call('POST', '/v1/refunds', { payment_intent: id, amount: '300' });
      expect(first).toMatchObject({
        status: 200,
        body: { id: expect.stringMatching(/^re_/), object: 'refund', amount: 300, payment_intent: id, status: 'succeeded' },
      });
      expect(await call('POST', '/v1/refunds', { payment_intent: id, amount: '701' })).toMatchObject({
        status: 400,
        body: { error: { code: 'amount_too_large', param: 'amount' } },
      });
      const rest = await call('POST', '/v1/refunds', { payment_intent: id });
      expect(rest).toMatchObject({ status: 200, body: { amount: 700 } });
      expect(await call('POST', '/v1/refunds', { payment_intent: id })).toMatchObject({ status: 400, body: { error: { code: 'charge_already_refunded' } } });

      const listed = await call('GET', `/v1/refunds?payment_intent=${id}`);
      expect(listed.body).toEqual({ object: 'list', data: [rest.body, first.body], has_more: false, url: '/v1/refunds' });
      const charge = await call('GET', `/v1/payment_intents/${id}?expand[]=latest_charge`);
      expect(charge.body.latest_charge).toMatchObject({ amount_captured: 1000, amount_refunded: 1000, refunded: true });
      expect((await adminIntents()).find((intent) => intent.id === id)).toMatchObject({ refunds: [first.body, rest.body] });
    });

    it('answers a refund of an unknown intent with resource_missing', async () => {
      expect(await call('POST', '/v1/refunds', { payment_intent: 'pi_nobody' })).toMatchObject({
        status: 400,
        body: { error: { code: 'resource_missing', param: 'payment_intent' } },
      });
    });
  });

  describe('GET /v1/payment_intents', () => {
    it('lists newest first, a page at a time after the last id', async () => {
      const made = [await authorized(), await authorized(), await authorized()].map((intent) => intent.id).reverse();
      const first = await call('GET', '/v1/payment_intents?limit=2');
      expect(first.body).toMatchObject({ object: 'list', has_more: true, url: '/v1/payment_intents' });
      expect((first.body.data as Array<{ id: string }>).map((intent) => intent.id)).toEqual(made.slice(0, 2));
      const next = await call('GET', `/v1/payment_intents?limit=2&starting_after=${made[1]}`);
      expect((next.body.data as Array<{ id: string }>)[0]?.id).toBe(made[2]);
      expect(await payments.stats()).toMatchObject({ calls: { listPaymentIntents: 2 } });
    });

    it('filters by creation time', async () => {
      await authorized();
      const now = Math.floor(Date.now() / 1000);
      expect(((await call('GET', `/v1/payment_intents?created[gte]=${now - 60}`)).body.data as unknown[]).length).toBeGreaterThan(0);
      expect(await call('GET', `/v1/payment_intents?created[gte]=${now + 60}`)).toMatchObject({ status: 200, body: { data: [], has_more: false } });
      expect(await call('GET', `/v1/payment_intents?created[lt]=${now - 3600}`)).toMatchObject({ body: { data: [] } });
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['starting_after=pi_nobody', 'starting_after'],
      ['created[gte]=soon', 'created'],
      ['customer=cus_1', 'customer'],
    ])('refuses %s with a 400 naming the parameter', async (query, param) => {
      expect(await call('GET', `/v1/payment_intents?${query}`)).toMatchObject({ status: 400, body: { error: { param } } });
    });
  });

  describe('Idempotency-Key', () => {
    it('replays the first answer to the same request under the same key, and creates one intent', async () => {
      const key = randomUUID();
      const asked = authorization();
      const first = await call('POST', '/v1/payment_intents', asked, { 'idempotency-key': key });
      const again = await call('POST', '/v1/payment_intents', asked, { 'idempotency-key': key });
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      expect(again).toMatchObject({ status: first.status, body: first.body });
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.headers.get('idempotency-key')).toBe(key);
      expect((await adminIntents()).filter((intent) => intent.id === first.body.id)).toHaveLength(1);
    });

    it('replays a decline rather than charging the card again', async () => {
      const key = randomUUID();
      const asked = authorization({ payment_method: 'pm_card_chargeDeclined' });
      const first = await call('POST', '/v1/payment_intents', asked, { 'idempotency-key': key });
      const again = await call('POST', '/v1/payment_intents', asked, { 'idempotency-key': key });
      expect(again).toMatchObject({ status: 402, body: first.body });
      const orderId = asked['metadata[order_id]'];
      expect((await adminIntents()).filter((intent) => (intent.metadata as Record<string, string>).order_id === orderId)).toHaveLength(1);
    });

    it('refuses the key for other parameters or another endpoint', async () => {
      const key = randomUUID();
      const first = await call('POST', '/v1/payment_intents', authorization(), { 'idempotency-key': key });
      const other = await call('POST', '/v1/payment_intents', authorization(), { 'idempotency-key': key });
      expect(other).toMatchObject({ status: 400, body: { error: { type: 'idempotency_error' } } });
      expect(other.body.error?.message).toMatch(/^Keys for idempotent requests can only be used with the same parameters they were first used with/);
      const elsewhere = await call('POST', `/v1/payment_intents/${first.body.id as string}/capture`, undefined, { 'idempotency-key': key });
      expect(elsewhere).toMatchObject({ status: 400, body: { error: { type: 'idempotency_error' } } });
    });

    it('keeps no refusal of bad parameters: the corrected request goes through under the same key', async () => {
      const key = randomUUID();
      expect((await call('POST', '/v1/payment_intents', authorization({ amount: '0' }), { 'idempotency-key': key })).status).toBe(400);
      expect((await call('POST', '/v1/payment_intents', authorization(), { 'idempotency-key': key })).status).toBe(200);
    });

    it('answers 409 idempotency_key_in_use while the first request with the key is still arriving', async () => {
      const key = randomUUID();
      const held = await startHeldPost(payments, '/v1/payment_intents', authorization(), { authorization: `Bearer ${API_KEY}`, 'idempotency-key': key });
      const second = await call('POST', '/v1/payment_intents', authorization(), { 'idempotency-key': key });
      expect(second).toMatchObject({ status: 409, body: { error: { type: 'invalid_request_error', code: 'idempotency_key_in_use' } } });
      expect(await held.finish()).toBe(200);
    });

    it('keeps nothing for an injected fault, answered as Stripe’s api_error, so the retry goes through', async () => {
      const key = randomUUID();
      const asked = authorization();
      await payments.setFaults({ errorRate: 1 });
      expect(await call('POST', '/v1/payment_intents', asked, { 'idempotency-key': key })).toMatchObject({
        status: 500,
        body: { error: { type: 'api_error', message: 'injected fault' } },
      });
      await payments.setFaults({ errorRate: 0 });
      const retry = await call('POST', '/v1/payment_intents', asked, { 'idempotency-key': key });
      expect(retry.status).toBe(200);
      expect(retry.headers.get('idempotent-replayed')).toBeNull();
    });

    it('forgets a record after 24 hours', () => {
      let now = 1_000_000;
      const records = new IdempotencyRecords(() => now);
      records.apply({ scope: 's', request: 'r', status: 200, body: {}, savedAt: now });
      now += RETENTION_MS;
      expect(records.find('s')).toBeDefined();
      now += 1;
      expect(records.find('s')).toBeUndefined();
    });
  });

  describe('webhooks', () => {
    const eventsAbout = (id: string) =>
      receiver.deliveries
        .map((delivery) => Stripe.webhooks.constructEvent(delivery.body, delivery.signature ?? '', SECRET))
        .filter((event) => JSON.stringify(event.data.object).includes(id));

    it('posts each change as an event signed as Stripe signs, in order', async () => {
      const key = randomUUID();
      const { id } = (await call('POST', '/v1/payment_intents', authorization(), { 'idempotency-key': key })).body as { id: string };
      await call('POST', `/v1/payment_intents/${id}/capture`);
      await call('POST', '/v1/refunds', { payment_intent: id });
      await eventually(() => eventsAbout(id).length === 4);
      const events = eventsAbout(id);
      expect(events.map((event) => event.type)).toEqual([
        'payment_intent.created',
        'payment_intent.amount_capturable_updated',
        'payment_intent.succeeded',
        'charge.refunded',
      ]);
      expect(events[0]).toMatchObject({ id: expect.stringMatching(/^evt_/), object: 'event', livemode: false, request: { idempotency_key: key } });
      expect(events[2]?.data.object).toMatchObject({ id, status: 'succeeded', amount_received: 1000 });
      expect(events[3]?.data.object).toMatchObject({ object: 'charge', payment_intent: id, amount_refunded: 1000 });
      expect(receiver.deliveries.every((delivery) => /^t=\d+,v1=[0-9a-f]{64}$/.test(delivery.signature ?? ''))).toBe(true);
    });

    it('announces a decline and a cancel', async () => {
      const declined = await call('POST', '/v1/payment_intents', authorization({ payment_method: 'pm_card_chargeDeclined' }));
      const id = (declined.body.error?.payment_intent as { id: string }).id;
      await call('POST', `/v1/payment_intents/${id}/cancel`);
      await eventually(() => eventsAbout(id).length === 3);
      expect(eventsAbout(id).map((event) => event.type)).toEqual(['payment_intent.created', 'payment_intent.payment_failed', 'payment_intent.canceled']);
    });

    it('retries a refused delivery with backoff without holding up the API, and keeps the order', async () => {
      receiver.refuseNext(2);
      const { id } = await authorized();
      // Answered while its first event was still being refused: the call never waits for a delivery.
      expect(eventsAbout(id)).toEqual([]);
      await eventually(() => eventsAbout(id).length === 2);
      const attempts = receiver.attempts
        .filter((attempt) => attempt.body.includes(id))
        .map((attempt) => JSON.parse(attempt.body) as { id: string; type: string });
      expect(attempts.map((attempt) => attempt.type)).toEqual([
        'payment_intent.created',
        'payment_intent.created',
        'payment_intent.created',
        'payment_intent.amount_capturable_updated',
      ]);
      expect(new Set(attempts.slice(0, 3).map((attempt) => attempt.id)).size).toBe(1);
    });
  });

  describe('admin', () => {
    it('shows every intent without being faulted or counted', async () => {
      const { id } = await authorized();
      await payments.resetStats();
      await payments.setFaults({ errorRate: 1 });
      expect((await adminIntents()).map((intent) => intent.id)).toContain(id);
      expect(await payments.stats()).toEqual({ total: 0, calls: {} });
    });

    it('answers an unknown route with Stripe’s error', async () => {
      expect(await call('GET', '/v1/customers')).toMatchObject({ status: 404, body: { error: { message: 'Unrecognized request URL (GET: /v1/customers).' } } });
    });
  });
});

describe('payments stand-in across a restart', () => {
  it('keeps intents, refunds, idempotency records and the rate limit it answered', async () => {
    const payments = await startRestartablePayments();
    const call = caller(() => payments.url);
    try {
      const key = randomUUID();
      const created = await call('POST', '/v1/payment_intents', authorization(), { 'idempotency-key': key });
      const id = created.body.id as string;
      await call('POST', `/v1/payment_intents/${id}/capture`);
      const refund = await call('POST', '/v1/refunds', { payment_intent: id, amount: '100' });
      const limitedKey = randomUUID();
      const limited = authorization({ payment_method: 'pm_card_atrium_rateLimitedOnce' });
      const refused = await call('POST', '/v1/payment_intents', limited, { 'idempotency-key': limitedKey });
      expect(refused).toMatchObject({ status: 429, body: { error: { code: 'rate_limit' } } });
      expect(refused.headers.get('retry-after')).toBe('1');
      await payments.restart();

      expect(await call('GET', `/v1/payment_intents/${id}`)).toMatchObject({ status: 200, body: { status: 'succeeded', amount_received: 1000 } });
      expect((await call('GET', `/v1/refunds?payment_intent=${id}`)).body.data).toEqual([refund.body]);
      const replayed = await call('POST', '/v1/payment_intents', authorization(), { 'idempotency-key': key });
      expect(replayed).toMatchObject({ status: 400, body: { error: { type: 'idempotency_error' } } });
      expect((await call('POST', '/v1/payment_intents', limited, { 'idempotency-key': limitedKey })).status).toBe(200);
    } finally {
      await payments.stop();
    }
  });

  it('replays the first answer after a restart', async () => {
    const payments = await startRestartablePayments();
    const call = caller(() => payments.url);
    try {
      const key = randomUUID();
      const asked = authorization();
      const first = await call('POST', '/v1/payment_intents', asked, { 'idempotency-key': key });
      await payments.restart();
      const again = await call('POST', '/v1/payment_intents', asked, { 'idempotency-key': key });
      expect(again).toMatchObject({ status: 200, body: first.body });
      expect(again.headers.get('idempotent-replayed')).toBe('true');
    } finally {
      await payments.stop();
    }
  });
});
