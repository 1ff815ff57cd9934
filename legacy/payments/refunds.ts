import type { FormObject } from './form';
import { changed, unchanged, type Ledger, type Outcome } from './ledger';
import { listPage } from './list-page';
import { chargeIdOf, chargeOf, newId, unixNow, type RefundObject } from './objects';
import { metadataParam, oneOf, onlyParams, positiveInt, requiredText, textParam } from './params';
import { resourceMissing, StripeFailure } from './stripe-error';

const REFUND_REASONS = ['duplicate', 'fraudulent', 'requested_by_customer'] as const;

const refusal = (code: string, message: string, param?: string) =>
  new StripeFailure(400, { type: 'invalid_request_error', code, message, ...(param ? { param } : {}) });

/** `POST /v1/refunds`: all that is left of a captured intent, or `amount` of it; never more than was received. */
export function createRefund(ledger: Ledger, params: FormObject): Outcome {
  onlyParams(params, ['payment_intent', 'amount', 'reason', 'metadata']);
  const intentId = requiredText(params, 'payment_intent');
  const intent = ledger.intent(intentId);
  if (!intent) throw resourceMissing(400, 'payment_intent', intentId, 'payment_intent');
  const metadata = metadataParam(params);
  const reason = oneOf(params, 'reason', REFUND_REASONS) ?? null;
  if (intent.status !== 'succeeded') {
    throw refusal('payment_intent_unexpected_state', `This PaymentIntent (${intent.id}) does not have a successful charge to refund.`, 'payment_intent');
  }
  const refunds = ledger.refundsOf(intent.id);
  const left = intent.amount_received - refunds.reduce((sum, refund) => sum + refund.amount, 0);
  if (left === 0) throw refusal('charge_already_refunded', `Charge ${chargeIdOf(intent.id)} has already been refunded.`);
  const amount = positiveInt(params, 'amount') ?? left;
  if (amount > left) throw refusal('amount_too_large', `Refund amount (${amount}) is greater than unrefunded amount on charge (${left}).`, 'amount');
  const refund: RefundObject = {
    id: newId('re'),
    object: 'refund',
    amount,
    charge: chargeIdOf(intent.id),
    created: unixNow(),
    currency: intent.currency,
    metadata,
    payment_intent: intent.id,
    reason,
    status: 'succeeded',
  };
  return changed(refund, { refund }, [{ type: 'charge.refunded', object: chargeOf(intent, [...refunds, refund]) }]);
}

/** `GET /v1/refunds?payment_intent=`, newest first. */
export function listRefunds(ledger: Ledger, params: FormObject): Outcome {
  onlyParams(params, ['payment_intent', 'limit', 'starting_after']);
  const intentId = textParam(params, 'payment_intent');
  const refunds = ledger.refundsNewestFirst().filter((refund) => intentId === undefined || refund.payment_intent === intentId);
  return unchanged(listPage(refunds, params, '/v1/refunds', 'refund'));
}
