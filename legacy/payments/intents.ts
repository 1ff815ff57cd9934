import { paymentMethodObject, testCard } from './cards';
import type { FormObject } from './form';
import { changed, unchanged, type Ledger, type Outcome } from './ledger';
import { listPage } from './list-page';
import { chargeIdOf, newId, unixNow, type PaymentIntentObject } from './objects';
import { listParam, metadataParam, oneOf, onlyParams, positiveInt, requiredText, timeRangeParam } from './params';
import { invalidRequest, resourceMissing, StripeFailure, unexpectedState } from './stripe-error';

const CANCELLATION_REASONS = ['abandoned', 'duplicate', 'fraudulent', 'requested_by_customer'] as const;
const CANCELABLE: readonly string[] = ['requires_payment_method', 'requires_capture'];

/** The intent an id names, or Stripe's 404. */
function existing(ledger: Ledger, id: string): PaymentIntentObject {
  const intent = ledger.intent(id);
  if (!intent) throw resourceMissing(404, 'payment_intent', id, 'intent');
  return intent;
}

/** `expand[]` of a call on one intent, checked before anything changes. */
function expandOf(ledger: Ledger, params: FormObject): string[] {
  const expand = listParam(params, 'expand');
  ledger.checkExpand(expand);
  return expand;
}

/** `GET /v1/payment_methods/:id`: a test card, never a card number. */
export function retrievePaymentMethod(id: string): Outcome {
  const card = testCard(id);
  if (!card) throw resourceMissing(400, 'PaymentMethod', id, 'payment_method');
  return unchanged(paymentMethodObject(id, card));
}

/**
 * `POST /v1/payment_intents`, confirmed at once with manual capture: a good card leaves the intent `requires_capture`,
 * a declining one answers 402 and keeps the intent `requires_payment_method`. `scope` is the call's idempotency scope.
 */
export function createIntent(ledger: Ledger, params: FormObject, scope: string | null): Outcome {
  onlyParams(params, ['amount', 'currency', 'payment_method', 'capture_method', 'confirm', 'metadata', 'expand']);
  const amount = positiveInt(params, 'amount');
  if (amount === undefined) throw invalidRequest('Missing required param: amount.', 'amount');
  const currency = requiredText(params, 'currency').toLowerCase();
  if (!/^[a-z]{3}$/.test(currency)) throw invalidRequest(`Invalid currency: ${currency.slice(0, 20)}`, 'currency');
  const paymentMethod = requiredText(params, 'payment_method');
  const card = testCard(paymentMethod);
  if (!card) throw resourceMissing(400, 'PaymentMethod', paymentMethod, 'payment_method');
  // What this stand-in serves: an authorization now, captured later.
  if (oneOf(params, 'capture_method', ['manual']) === undefined) throw invalidRequest('capture_method must be manual', 'capture_method');
  if (oneOf(params, 'confirm', ['true']) === undefined) throw invalidRequest('confirm must be true', 'confirm');
  const metadata = metadataParam(params);
  const expand = expandOf(ledger, params);

  // A create without an idempotency key is never limited: nothing would tell its retry apart.
  if (card.behaviour.kind === 'rateLimitedOnce' && scope !== null && !ledger.wasRateLimited(scope)) {
    const error = { type: 'invalid_request_error', code: 'rate_limit', message: 'Too many requests hit the API too quickly. Please retry after a moment.' };
    return { status: 429, body: { error }, change: { rateLimited: scope }, events: [], remember: false, headers: { 'retry-after': '1' } };
  }

  const id = newId('pi');
  const authorized: PaymentIntentObject = {
    id,
    object: 'payment_intent',
    amount,
    amount_capturable: amount,
    amount_received: 0,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: 'manual',
    confirmation_method: 'automatic',
    created: unixNow(),
    currency,
    description: null,
    last_payment_error: null,
    latest_charge: chargeIdOf(id),
    livemode: false,
    metadata,
    payment_method: paymentMethod,
    payment_method_types: ['card'],
    status: 'requires_capture',
  };
  if (card.behaviour.kind !== 'decline') {
    const events = [
      { type: 'payment_intent.created', object: authorized },
      { type: 'payment_intent.amount_capturable_updated', object: authorized },
    ] as const;
    return changed(ledger.view(authorized, expand), { intent: authorized }, [...events]);
  }
  const { declineCode, message } = card.behaviour;
  const failure = { type: 'card_error', code: 'card_declined', decline_code: declineCode, message } as const;
  const declined: PaymentIntentObject = { ...authorized, amount_capturable: 0, status: 'requires_payment_method', last_payment_error: failure };
  // The decline is kept and replayed like a success: a retry under the same key must not charge the card again.
  return changed(
    { error: { ...failure, charge: declined.latest_charge, payment_intent: declined } },
    { intent: declined },
    [
      { type: 'payment_intent.created', object: declined },
      { type: 'payment_intent.payment_failed', object: declined },
    ],
    402,
  );
}

/** `GET /v1/payment_intents/:id`. */
export function retrieveIntent(ledger: Ledger, id: string, params: FormObject): Outcome {
  onlyParams(params, ['expand']);
  const expand = expandOf(ledger, params);
  return unchanged(ledger.view(existing(ledger, id), expand));
}

/** `GET /v1/payment_intents?limit=&starting_after=&created[gte]=`, newest first. */
export function listIntents(ledger: Ledger, params: FormObject): Outcome {
  onlyParams(params, ['limit', 'starting_after', 'created', 'expand']);
  const expand = listParam(params, 'expand').map((path) => {
    if (!path.startsWith('data.')) throw invalidRequest(`This property cannot be expanded (${path.slice(0, 60)}).`, 'expand');
    return path.slice('data.'.length);
  });
  ledger.checkExpand(expand);
  const created = timeRangeParam(params, 'created');
  const page = listPage(
    ledger.intentsNewestFirst().filter((intent) => created(intent.created)),
    params,
    '/v1/payment_intents',
    'payment_intent',
  );
  return unchanged({ ...page, data: page.data.map((intent) => ledger.view(intent, expand)) });
}

/** `POST /v1/payment_intents/:id/capture`: all or `amount_to_capture` of what was authorized, once. */
export function captureIntent(ledger: Ledger, id: string, params: FormObject): Outcome {
  onlyParams(params, ['amount_to_capture', 'expand']);
  const intent = existing(ledger, id);
  const expand = expandOf(ledger, params);
  if (intent.status !== 'requires_capture') {
    throw unexpectedState(
      `This PaymentIntent could not be captured because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.`,
      intent,
    );
  }
  const amount = positiveInt(params, 'amount_to_capture') ?? intent.amount_capturable;
  if (amount > intent.amount_capturable) {
    throw new StripeFailure(400, {
      type: 'invalid_request_error',
      code: 'amount_too_large',
      param: 'amount_to_capture',
      message: `The amount to capture (${amount}) is greater than the amount capturable (${intent.amount_capturable}).`,
    });
  }
  // What is not captured is released, as Stripe does with a partial capture.
  const captured: PaymentIntentObject = { ...intent, status: 'succeeded', amount_received: amount, amount_capturable: 0 };
  return changed(ledger.view(captured, expand), { intent: captured }, [{ type: 'payment_intent.succeeded', object: captured }]);
}

/** `POST /v1/payment_intents/:id/cancel`: releases an authorization (or closes a declined intent). */
export function cancelIntent(ledger: Ledger, id: string, params: FormObject): Outcome {
  onlyParams(params, ['cancellation_reason', 'expand']);
  const intent = existing(ledger, id);
  const expand = expandOf(ledger, params);
  const reason = oneOf(params, 'cancellation_reason', CANCELLATION_REASONS) ?? null;
  if (!CANCELABLE.includes(intent.status)) {
    throw unexpectedState(
      `You cannot cancel this PaymentIntent because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.`,
      intent,
    );
  }
  const canceled: PaymentIntentObject = { ...intent, status: 'canceled', amount_capturable: 0, canceled_at: unixNow(), cancellation_reason: reason };
  return changed(ledger.view(canceled, expand), { intent: canceled }, [{ type: 'payment_intent.canceled', object: canceled }]);
}
