import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { adminIntents } from '../../legacy/payments/admin-view';
import { startBackend, withLatency, type RunningBackend } from '../../test/support/legacy';
import { eventually, paymentsWith, startHeldPost, startRestartablePayments, startWebhookReceiver, type WebhookReceiver } from '../../test/support/payments';
import {
  PaymentDeclined,
  PaymentProvider,
  PaymentRequestRefused,
  PaymentTemporarilyUnavailable,
  WebhookRejected,
  type PaymentProviderSettings,
} from './payment-provider';

const API_KEY = 'sk_test_atrium';
const WEBHOOK_SECRET = 'whsec_for_adapter_tests';
/** An authorization as a form body, for calls made over plain HTTP beside the adapter's. */
const FORM_AUTHORIZATION = { amount: '100', currency: 'eur', payment_method: 'pm_card_visa', capture_method: 'manual', confirm: 'true' };

describe('PaymentProvider against the payments stand-in', () => {
  let receiver: WebhookReceiver;
  let payments: RunningBackend;
  let settings: PaymentProviderSettings;
  let provider: PaymentProvider;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    payments = await startBackend(paymentsWith({ PAYMENTS_WEBHOOK_URL: receiver.url, PAYMENTS_WEBHOOK_SECRET: WEBHOOK_SECRET }));
    settings = { url: payments.url, apiKey: API_KEY, timeoutMs: 2_000, webhookSecret: WEBHOOK_SECRET };
    provider = new PaymentProvider(settings);
  });
  afterAll(async () => {
    await payments.stop();
    await receiver.stop();
  });
  beforeEach(() => payments.restore());

  const intents = () => adminIntents(payments.url);
  const intentsOfOrder = async (orderId: string) => (await intents()).filter((intent) => intent.metadata.order_id === orderId);

  /** An authorization for a fresh order under a fresh key, unless told otherwise. */
  const authorization = (overrides: Partial<Parameters<PaymentProvider['authorize']>[0]> = {}) => ({
    amountCents: 4_250,
    currency: 'EUR',
    paymentMethod: 'pm_card_visa',
    orderId: `ord-${randomUUID()}`,
    workflowId: `wf-${randomUUID()}`,
    idempotencyKey: randomUUID(),
    ...overrides,
  });

  it('authorizes, captures and refunds a payment, the intent reporting each step', async () => {
    const asked = authorization();
    const authorized = await provider.authorize(asked);
    expect(authorized).toEqual({
      id: expect.stringMatching(/^pi_/),
      status: 'requires_capture',
      amount: 4_250,
      currency: 'eur',
      orderId: asked.orderId,
      workflowId: asked.workflowId,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      canceledAt: null,
      amountReceived: 0,
      amountRefunded: 0,
    });
    expect(Math.abs(Date.parse(authorized.createdAt) - Date.now())).toBeLessThan(5_000);

    const captured = await provider.capture(authorized.id, randomUUID());
    expect(captured).toMatchObject({ id: authorized.id, status: 'succeeded', amountReceived: 4_250, amountRefunded: 0 });

    const refund = await provider.refund(authorized.id, randomUUID());
    expect(refund).toEqual({ id: expect.stringMatching(/^re_/), amount: 4_250 });
    expect(await provider.intent(authorized.id)).toMatchObject({ status: 'succeeded', amountReceived: 4_250, amountRefunded: 4_250 });
    expect(await payments.stats()).toEqual({
      total: 4,
      calls: { capturePaymentIntent: 1, createPaymentIntent: 1, createRefund: 1, retrievePaymentIntent: 1 },
    });
  });

  it('cancels an authorization, with its reason and time', async () => {
    const authorized = await provider.authorize(authorization());
    const canceled = await provider.cancel(authorized.id, 'abandoned', randomUUID());
    expect(canceled).toMatchObject({ id: authorized.id, status: 'canceled', canceledAt: expect.stringMatching(/Z$/), amountReceived: 0 });
    const [kept] = await intents().then((all) => all.filter((intent) => intent.id === authorized.id));
    expect(kept).toMatchObject({ status: 'canceled', cancellation_reason: 'abandoned' });
  });

  it.each([
    ['pm_card_chargeDeclined', 'generic_decline'],
    ['pm_card_chargeDeclinedInsufficientFunds', 'insufficient_funds'],
  ])('fails a declined card (%s) for good with its decline code, without card data in the message', async (paymentMethod, declineCode) => {
    const asked = authorization({ paymentMethod });
    const failure = await provider.authorize(asked).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PaymentDeclined);
    expect(failure).toMatchObject({ code: 'card_declined', declineCode });
    expect((failure as Error).message).not.toMatch(/\d{4}/);
    expect(await intentsOfOrder(asked.orderId)).toEqual([expect.objectContaining({ status: 'requires_payment_method' })]);
  });

  it('asks to retry a rate-limited authorization after its Retry-After, and the retry with the same key goes through', async () => {
    const asked = authorization({ paymentMethod: 'pm_card_atrium_rateLimitedOnce' });
    const failure = await provider.authorize(asked).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PaymentTemporarilyUnavailable);
    expect(failure).toMatchObject({ retryAfterMs: 1_000 });
    expect(await intentsOfOrder(asked.orderId)).toEqual([]);

    expect(await provider.authorize(asked)).toMatchObject({ status: 'requires_capture', orderId: asked.orderId });
    expect(await intentsOfOrder(asked.orderId)).toHaveLength(1);
  });

  it('answers a repeated authorization with the same key and parameters with the first intent, creating one', async () => {
    const asked = authorization();
    const first = await provider.authorize(asked);
    const again = await provider.authorize(asked);
    expect(again).toEqual(first);
    expect(await intentsOfOrder(asked.orderId)).toHaveLength(1);
  });

  it('refuses an idempotency key reused for other parameters', async () => {
    const asked = authorization();
    await provider.authorize(asked);
    const failure = await provider.authorize({ ...asked, amountCents: 9_999 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PaymentRequestRefused);
    expect(failure).toMatchObject({ code: 'idempotency_error' });
    expect(await intentsOfOrder(asked.orderId)).toHaveLength(1);
  });

  it('refuses a second capture under another key, leaving the amount received as it was', async () => {
    const authorized = await provider.authorize(authorization({ amountCents: 1_000 }));
    await provider.capture(authorized.id, randomUUID());
    const failure = await provider.capture(authorized.id, randomUUID()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PaymentRequestRefused);
    expect(failure).toMatchObject({ code: 'payment_intent_unexpected_state' });
    expect(await provider.intent(authorized.id)).toMatchObject({ status: 'succeeded', amountReceived: 1_000 });
  });

  it('shows a known payment method as brand and last four digits, and an unknown one as null', async () => {
    expect(await provider.paymentMethod('pm_card_visa')).toEqual({ brand: 'visa', last4: '4242' });
    expect(await provider.paymentMethod('pm_card_mastercard')).toEqual({ brand: 'mastercard', last4: '4444' });
    expect(await provider.paymentMethod('pm_nobody_has')).toBeNull();
    expect(await provider.intent('pi_nobody_has')).toBeNull();
  });

  it.each([
    ['an injected 500, keeping nothing under the key', { errorRate: 1 }, false],
    ['a lost answer, whose intent was made', { dropResponseRate: 1 }, true],
  ] as const)('treats %s, as temporary; the retry with the same key ends with one intent', async (_case, fault, madeByFailure) => {
    const asked = authorization();
    await payments.setFaults(fault);
    const failure = await provider.authorize(asked).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PaymentTemporarilyUnavailable);
    await payments.restore();
    const madeBefore = (await intentsOfOrder(asked.orderId)).map((intent) => intent.id);

    const retried = await provider.authorize(asked);
    expect(retried.status).toBe('requires_capture');
    expect(madeBefore).toEqual(madeByFailure ? [retried.id] : []);
    expect((await intentsOfOrder(asked.orderId)).map((intent) => intent.id)).toEqual([retried.id]);
  });

  it('treats a key still in use by another request as temporary', async () => {
    const asked = authorization();
    const held = await startHeldPost(payments, '/v1/payment_intents', FORM_AUTHORIZATION, {
      authorization: `Bearer ${API_KEY}`,
      'idempotency-key': asked.idempotencyKey,
    });
    const failure = await provider.authorize(asked).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PaymentTemporarilyUnavailable);
    expect(await held.finish()).toBe(200);
  });

  it('treats a provider slower than the timeout as temporarily unavailable', async () => {
    const impatient = new PaymentProvider({ ...settings, timeoutMs: 100 });
    const { outcome, elapsedMs } = await withLatency(payments, 400, () => impatient.intent('pi_nobody_has'));
    expect(outcome).toMatchObject({ status: 'rejected', reason: expect.any(PaymentTemporarilyUnavailable) });
    expect(elapsedMs).toBeLessThan(400);
  });

  it('refuses a wrong API key for good, without the key in the message', async () => {
    const stranger = new PaymentProvider({ ...settings, apiKey: 'sk_test_not_ours_123' });
    const failure = await stranger.intent('pi_nobody_has').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PaymentRequestRefused);
    expect((failure as Error).message).not.toContain('sk_test');
  });

  it('lists every intent created since a time, page after page', async () => {
    const since = new Date(Date.now() - 60_000);
    // More intents than one page holds (100), made over plain HTTP to keep the test quick.
    const body = new URLSearchParams(FORM_AUTHORIZATION);
    const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/x-www-form-urlencoded' };
    for (let i = 0; i < 101; i += 1) await fetch(`${payments.url}/v1/payment_intents`, { method: 'POST', headers, body });
    const expected = (await intents()).map((intent) => intent.id).reverse();

    const listed: string[] = [];
    for await (const intent of provider.intentsCreatedSince(since)) listed.push(intent.id);
    expect(listed).toEqual(expected);
    expect((await payments.stats()).calls.listPaymentIntents).toBe(Math.ceil(expected.length / 100));

    const none: string[] = [];
    for await (const intent of provider.intentsCreatedSince(new Date(Date.now() + 60_000))) none.push(intent.id);
    expect(none).toEqual([]);
  });

  describe('webhooks', () => {
    const eventsOf = (intentId: string) =>
      receiver.deliveries
        .map((delivery) => provider.verifyWebhook(delivery.body, delivery.signature))
        .filter(
          (event) =>
            (event.data.object as { id: string; payment_intent?: string }).id === intentId ||
            (event.data.object as { payment_intent?: string }).payment_intent === intentId,
        );

    it('delivers signed events, in order, that verify', async () => {
      const authorized = await provider.authorize(authorization());
      await provider.capture(authorized.id, randomUUID());
      await provider.refund(authorized.id, randomUUID());
      await eventually(() => eventsOf(authorized.id).length === 4);
      expect(eventsOf(authorized.id).map((event) => event.type)).toEqual([
        'payment_intent.created',
        'payment_intent.amount_capturable_updated',
        'payment_intent.succeeded',
        'charge.refunded',
      ]);
    });

    it('rejects a tampered body, a stale timestamp and a missing signature', async () => {
      const authorized = await provider.authorize(authorization());
      await eventually(() => eventsOf(authorized.id).length === 2);
      const delivery = receiver.deliveries.find((d) => d.body.includes(authorized.id));
      if (!delivery) throw new Error('no delivery for the intent');

      const tampered = delivery.body.replace('"amount":4250', '"amount":1');
      expect(tampered).not.toBe(delivery.body);
      expect(() => provider.verifyWebhook(tampered, delivery.signature)).toThrow(WebhookRejected);

      const stale = Stripe.webhooks.generateTestHeaderString({
        payload: delivery.body,
        secret: WEBHOOK_SECRET,
        timestamp: Math.floor(Date.now() / 1000) - 600,
      });
      expect(() => provider.verifyWebhook(delivery.body, stale)).toThrow(expect.objectContaining({ reason: 'Timestamp outside the tolerance zone' }));

      expect(() => provider.verifyWebhook(delivery.body, undefined)).toThrow(WebhookRejected);
      const otherSecret = new PaymentProvider({ ...settings, webhookSecret: 'whsec_someone_else' });
      expect(() => otherSecret.verifyWebhook(delivery.body, delivery.signature)).toThrow(WebhookRejected);
    });
  });
});

describe('PaymentProvider across a restart of the payments stand-in', () => {
  it('still finds its intents and replays its idempotency keys', async () => {
    const payments = await startRestartablePayments();
    try {
      const connect = () => new PaymentProvider({ url: payments.url, apiKey: API_KEY, timeoutMs: 2_000, webhookSecret: WEBHOOK_SECRET });
      const asked = {
        amountCents: 700,
        currency: 'eur',
        paymentMethod: 'pm_card_visa',
        orderId: 'ord-restart',
        workflowId: 'wf-restart',
        idempotencyKey: randomUUID(),
      };
      const first = await connect().authorize(asked);
      await payments.restart();

      const provider = connect();
      expect(await provider.intent(first.id)).toEqual(first);
      expect(await provider.authorize(asked)).toEqual(first);
      const all = await adminIntents(payments.url);
      expect(all).toHaveLength(1);
    } finally {
      await payments.stop();
    }
  });
});
