import Stripe from 'stripe';

/** Where the payment provider is and how the orders subgraph talks to it; read once at start-up by the caller. */
export interface PaymentProviderSettings {
  /** Base URL, such as `http://127.0.0.1:4105` (Stripe's own is `https://api.stripe.com`). */
  url: string;
  apiKey: string;
  /** Per call; a call that takes longer is a PaymentTemporarilyUnavailable. */
  timeoutMs: number;
  /** The signing secret of the webhook endpoint (`whsec_…`). */
  webhookSecret: string;
}

const INTENT_STATUSES = [
  'requires_capture',
  'succeeded',
  'canceled',
  'requires_payment_method',
  'processing',
  'requires_action',
  'requires_confirmation',
] as const;

export type IntentStatus = (typeof INTENT_STATUSES)[number];

/** A payment intent as the orders subgraph sees it. */
export interface Intent {
  id: string;
  status: IntentStatus;
  /** In the currency's minor unit (cents). */
  amount: number;
  currency: string;
  /** `metadata.order_id`. */
  orderId: string | null;
  /** `metadata.workflow_id`. */
  workflowId: string | null;
  /** ISO 8601. */
  createdAt: string;
  canceledAt: string | null;
  amountReceived: number;
  amountRefunded: number;
}

/** What may be shown of a card. */
export interface CardSummary {
  brand: string;
  last4: string;
}

/** The card was declined: fail the payment for good, at once; retrying will not help. */
export class PaymentDeclined extends Error {
  override name = 'PaymentDeclined';
  constructor(
    readonly code: string,
    readonly declineCode: string | null,
  ) {
    super(`the card was declined (${declineCode ?? code})`);
  }
}

/** The provider could not answer now (429, 5xx, 409 key in use, connection lost, timeout): retry, with the same key. */
export class PaymentTemporarilyUnavailable extends Error {
  override name = 'PaymentTemporarilyUnavailable';
  constructor(
    reason: string,
    /** From the answer's `Retry-After`, when it had one. */
    readonly retryAfterMs: number | null,
  ) {
    super(`the payment provider is unavailable (${reason}); try again later`);
  }
}

/** The provider refused the request (any other 4xx): fail for good; the same request will be refused again. */
export class PaymentRequestRefused extends Error {
  override name = 'PaymentRequestRefused';
  constructor(
    readonly code: string | null,
    readonly param: string | null,
  ) {
    super(`the payment provider refused the request (${code ?? 'no code'}${param ? `, parameter ${param}` : ''})`);
  }
}

/** A webhook whose signature does not verify, or that is older than the tolerance: answer it 400 and ignore it. */
export class WebhookRejected extends Error {
  override name = 'WebhookRejected';
  constructor(readonly reason: string) {
    super(`webhook rejected: ${reason}`);
  }
}

/** Stripe's default: an event signed longer ago than this is a replay. */
const WEBHOOK_TOLERANCE_SECONDS = 300;
const PAGE_SIZE = 100;

function retryAfterMs(headers: Record<string, string> | undefined): number | null {
  const value = headers?.['retry-after'];
  const seconds = value !== undefined && /^\d{1,6}$/.test(value.trim()) ? Number(value) : NaN;
  return Number.isNaN(seconds) ? null : seconds * 1000;
}

/**
 * Translates what the SDK throws into the three outcomes the orders workflow acts on. Messages are built from codes
 * only: neither the provider's text nor the request (which carries the API key) is passed on.
 */
function translate(error: unknown): Error {
  const { errors } = Stripe;
  if (error instanceof errors.StripeCardError) return new PaymentDeclined(error.code ?? 'card_declined', error.decline_code ?? null);
  if (error instanceof errors.StripeRateLimitError) return new PaymentTemporarilyUnavailable('rate limited', retryAfterMs(error.headers));
  if (error instanceof errors.StripeConnectionError) return new PaymentTemporarilyUnavailable('no answer', null);
  if (error instanceof errors.StripeError) {
    const status = error.statusCode ?? 0;
    if (status >= 500 || status === 409 || error instanceof errors.StripeAPIError) {
      return new PaymentTemporarilyUnavailable(error.code ?? `HTTP ${status}`, retryAfterMs(error.headers));
    }
    const code = error.code ?? (error instanceof errors.StripeIdempotencyError ? 'idempotency_error' : null);
    return new PaymentRequestRefused(code, error.param ?? null);
  }
  return error instanceof Error ? error : new Error(String(error));
}

const isMissing = (error: unknown) => error instanceof Stripe.errors.StripeInvalidRequestError && error.code === 'resource_missing';

const isoOf = (unixSeconds: number | null) => (unixSeconds === null ? null : new Date(unixSeconds * 1000).toISOString());

const isIntentStatus = (status: string): status is IntentStatus => (INTENT_STATUSES as readonly string[]).includes(status);

function toIntent(intent: Stripe.PaymentIntent): Intent {
  const { status } = intent;
  // The SDK's type leaves room for statuses a later API version adds; one this code does not know cannot be acted on.
  if (!isIntentStatus(status)) throw new Error(`the payment provider answered an intent status this adapter does not know (${status.slice(0, 40)})`);
  const charge = intent.latest_charge;
  return {
    id: intent.id,
    status,
    amount: intent.amount,
    currency: intent.currency,
    orderId: intent.metadata.order_id ?? null,
    workflowId: intent.metadata.workflow_id ?? null,
    createdAt: isoOf(intent.created) as string,
    canceledAt: isoOf(intent.canceled_at),
    amountReceived: intent.amount_received,
    // Every call expands latest_charge, which carries what was refunded.
    amountRefunded: typeof charge === 'object' && charge !== null ? charge.amount_refunded : 0,
  };
}

// Asked on every intent call: the charge is where Stripe keeps what was refunded.
const EXPAND_CHARGE = ['latest_charge'];

/**
 * The orders subgraph's adapter to the payment provider, through the official `stripe` SDK. Every call that changes
 * something takes the caller's idempotency key: the SDK's own retries are off (`maxNetworkRetries: 0`), so retrying
 * is the caller's decision, made with the same key, and never doubles a charge. (The SDK still resends once on a
 * connection closed before the answer, with the same key, so that resend is answered by the first call's result.)
 */
export class PaymentProvider {
  private readonly stripe: Stripe;
  private readonly webhookSecret: string;

  constructor(settings: PaymentProviderSettings) {
    const url = new URL(settings.url);
    if (url.pathname !== '/' || url.search !== '') throw new Error('the payment provider URL must be a base URL without a path');
    const protocol = url.protocol === 'https:' ? 'https' : 'http';
    this.stripe = new Stripe(settings.apiKey, {
      host: url.hostname,
      port: url.port || (protocol === 'https' ? 443 : 80),
      protocol,
      maxNetworkRetries: 0,
      timeout: settings.timeoutMs,
      httpClient: Stripe.createNodeHttpClient(),
      // No usage reports about earlier calls in request headers.
      telemetry: false,
    });
    this.webhookSecret = settings.webhookSecret;
  }

  private async call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw translate(error);
    }
  }

  /** What may be shown of a payment method; null when the provider has no such payment method. */
  async paymentMethod(id: string): Promise<CardSummary | null> {
    try {
      const method = await this.stripe.paymentMethods.retrieve(id);
      return method.card ? { brand: method.card.brand, last4: method.card.last4 } : null;
    } catch (error) {
      if (isMissing(error)) return null;
      throw translate(error);
    }
  }

  /** Authorizes `amountCents` on the card (manual capture): `requires_capture` once the card accepted it. */
  authorize(a: { amountCents: number; currency: string; paymentMethod: string; orderId: string; workflowId: string; idempotencyKey: string }): Promise<Intent> {
    return this.call(async () =>
      toIntent(
        await this.stripe.paymentIntents.create(
          {
            amount: a.amountCents,
            currency: a.currency.toLowerCase(),
            payment_method: a.paymentMethod,
            capture_method: 'manual',
            confirm: true,
            metadata: { order_id: a.orderId, workflow_id: a.workflowId },
            expand: EXPAND_CHARGE,
          },
          { idempotencyKey: a.idempotencyKey },
        ),
      ),
    );
  }

  /** Captures all that was authorized. */
  capture(intentId: string, idempotencyKey: string): Promise<Intent> {
    return this.call(async () => toIntent(await this.stripe.paymentIntents.capture(intentId, { expand: EXPAND_CHARGE }, { idempotencyKey })));
  }

  /** Releases an authorization. */
  cancel(intentId: string, reason: 'abandoned' | 'requested_by_customer' | 'duplicate' | 'fraudulent', idempotencyKey: string): Promise<Intent> {
    return this.call(async () =>
      toIntent(await this.stripe.paymentIntents.cancel(intentId, { cancellation_reason: reason, expand: EXPAND_CHARGE }, { idempotencyKey })),
    );
  }

  /** Refunds what is left of a captured payment. */
  refund(intentId: string, idempotencyKey: string): Promise<{ id: string; amount: number }> {
    return this.call(async () => {
      const refund = await this.stripe.refunds.create({ payment_intent: intentId }, { idempotencyKey });
      return { id: refund.id, amount: refund.amount };
    });
  }

  /** One intent; null when the provider has no such intent. */
  async intent(id: string): Promise<Intent | null> {
    try {
      return toIntent(await this.stripe.paymentIntents.retrieve(id, { expand: EXPAND_CHARGE }));
    } catch (error) {
      if (isMissing(error)) return null;
      throw translate(error);
    }
  }

  /** Every intent created at or after `since` (to the second), newest first, page after page as they are read. */
  async *intentsCreatedSince(since: Date): AsyncIterable<Intent> {
    const pages = this.stripe.paymentIntents.list({ created: { gte: Math.floor(since.getTime() / 1000) }, limit: PAGE_SIZE, expand: ['data.latest_charge'] });
    try {
      for await (const intent of pages) yield toIntent(intent);
    } catch (error) {
      throw translate(error);
    }
  }

  /** Verifies a webhook with stripe.webhooks.constructEvent (signature, 300 s tolerance); throws WebhookRejected (exported) with a reason otherwise. */
  verifyWebhook(body: string, signature: string | undefined): Stripe.Event {
    if (signature === undefined || signature === '') throw new WebhookRejected('no Stripe-Signature header');
    try {
      return this.stripe.webhooks.constructEvent(body, signature, this.webhookSecret, WEBHOOK_TOLERANCE_SECONDS);
    } catch (error) {
      // The SDK's first sentence names the problem ("Timestamp outside the tolerance zone"); the rest is advice.
      if (error instanceof Stripe.errors.StripeSignatureVerificationError) throw new WebhookRejected(error.message.split(/[.\n]/)[0] ?? 'bad signature');
      throw new WebhookRejected('the body is not a JSON event');
    }
  }
}
