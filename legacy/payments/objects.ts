import { randomBytes } from 'node:crypto';
import { cardDetails, testCard } from './cards';

/** The statuses an intent of this stand-in goes through (manual capture, confirmed at creation). */
export type IntentStatus = 'requires_payment_method' | 'requires_capture' | 'succeeded' | 'canceled';

/** A PaymentIntent in Stripe's wire shape; kept as such, journaled as such. */
export interface PaymentIntentObject {
  id: string;
  object: 'payment_intent';
  amount: number;
  amount_capturable: number;
  amount_received: number;
  canceled_at: number | null;
  cancellation_reason: string | null;
  capture_method: 'manual';
  confirmation_method: 'automatic';
  created: number;
  currency: string;
  description: null;
  last_payment_error: { type: 'card_error'; code: string; decline_code: string; message: string } | null;
  latest_charge: string | null;
  livemode: false;
  metadata: Record<string, string>;
  payment_method: string;
  payment_method_types: ['card'];
  status: IntentStatus;
}

/** A Refund in Stripe's wire shape. */
export interface RefundObject {
  id: string;
  object: 'refund';
  amount: number;
  charge: string;
  created: number;
  currency: string;
  metadata: Record<string, string>;
  payment_intent: string;
  reason: string | null;
  status: 'succeeded';
}

/** A fresh Stripe-style id (`pi_…`, `re_…`, `evt_…`). */
export const newId = (prefix: string): string => `${prefix}_${randomBytes(12).toString('hex')}`;

/** Now in unix seconds, Stripe's `created`. */
export const unixNow = (): number => Math.floor(Date.now() / 1000);

/** The id of an intent's one charge, derived from the intent's: a charge here is a view, not a record. */
export const chargeIdOf = (intentId: string): string => `ch_${intentId.slice('pi_'.length)}`;

/** An intent's charge as Stripe shows it (`latest_charge` expanded, or a `charge.refunded` event), from its refunds. */
export function chargeOf(intent: PaymentIntentObject, refunds: readonly RefundObject[]) {
  const card = testCard(intent.payment_method);
  const amountRefunded = refunds.reduce((sum, refund) => sum + refund.amount, 0);
  const failed = intent.last_payment_error !== null;
  return {
    id: chargeIdOf(intent.id),
    object: 'charge',
    amount: intent.amount,
    amount_captured: intent.amount_received,
    amount_refunded: amountRefunded,
    captured: intent.status === 'succeeded',
    created: intent.created,
    currency: intent.currency,
    livemode: false,
    metadata: intent.metadata,
    paid: !failed,
    payment_intent: intent.id,
    payment_method: intent.payment_method,
    payment_method_details: { type: 'card', card: card ? cardDetails(card) : null },
    refunded: intent.amount_received > 0 && amountRefunded === intent.amount_received,
    status: failed ? 'failed' : 'succeeded',
  };
}
