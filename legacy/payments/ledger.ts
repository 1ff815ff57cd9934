import type { AdminIntent } from './admin-view';
import { chargeOf, type PaymentIntentObject, type RefundObject } from './objects';
import { invalidRequest } from './stripe-error';

/** The webhook event types this stand-in sends. */
export type EventType =
  | 'payment_intent.created'
  | 'payment_intent.amount_capturable_updated'
  | 'payment_intent.succeeded'
  | 'payment_intent.canceled'
  | 'payment_intent.payment_failed'
  | 'charge.refunded';

/** An event to send once a change is kept: its type and the object as it is now. */
export interface PaymentEvent {
  type: EventType;
  object: unknown;
}

/** What one business call changed; journaled as one line, with the call's idempotency record. */
export interface LedgerChange {
  intent?: PaymentIntentObject;
  refund?: RefundObject;
  /** An idempotency scope whose first create was answered 429 (the rate-limited-once test card). */
  rateLimited?: string;
}

/** What a business call answers, what it changed, and whether a repeat of it under its idempotency key replays it. */
export interface Outcome {
  status: number;
  body: unknown;
  change: LedgerChange;
  events: PaymentEvent[];
  remember: boolean;
  headers?: Record<string, string>;
}

/** An answer that changed something and is replayed to a repeat under the same idempotency key. */
export const changed = (body: unknown, change: LedgerChange, events: PaymentEvent[], status = 200): Outcome => ({
  status,
  body,
  change,
  events,
  remember: true,
});

/** An answer that changed nothing. */
export const unchanged = (body: unknown): Outcome => ({ status: 200, body, change: {}, events: [], remember: false });

const EXPANDABLE = ['latest_charge'];

/** Intents and refunds, in the order they were made; changed only through `apply`, so a replay rebuilds the same. */
export class Ledger {
  private readonly intents = new Map<string, PaymentIntentObject>();
  private readonly refundsByIntent = new Map<string, RefundObject[]>();
  private readonly refunds: RefundObject[] = [];
  private readonly rateLimited = new Set<string>();

  apply(change: LedgerChange): void {
    if (change.intent) this.intents.set(change.intent.id, change.intent);
    if (change.refund) {
      this.refunds.push(change.refund);
      this.refundsByIntent.set(change.refund.payment_intent, [...this.refundsOf(change.refund.payment_intent), change.refund]);
    }
    if (change.rateLimited !== undefined) this.rateLimited.add(change.rateLimited);
  }

  intent(id: string): PaymentIntentObject | undefined {
    return this.intents.get(id);
  }

  refundsOf(intentId: string): readonly RefundObject[] {
    return this.refundsByIntent.get(intentId) ?? [];
  }

  wasRateLimited(scope: string): boolean {
    return this.rateLimited.has(scope);
  }

  /** Intents newest first, as Stripe lists them. */
  intentsNewestFirst(): PaymentIntentObject[] {
    return [...this.intents.values()].reverse();
  }

  /** Refunds newest first. */
  refundsNewestFirst(): RefundObject[] {
    return [...this.refunds].reverse();
  }

  /** Every intent, oldest first, with its refunds: what `GET /_admin/intents` shows a test. */
  everything(): AdminIntent[] {
    return [...this.intents.values()].map((intent) => ({ ...intent, refunds: this.refundsOf(intent.id) }));
  }

  /** Refuses an `expand[]` this stand-in cannot expand, before anything changes. */
  checkExpand(paths: readonly string[]): void {
    const refused = paths.find((path) => !EXPANDABLE.includes(path));
    if (refused !== undefined) throw invalidRequest(`This property cannot be expanded (${refused.slice(0, 60)}).`, 'expand');
  }

  /** An intent as answered, its `latest_charge` expanded when asked. */
  view(intent: PaymentIntentObject, expand: readonly string[]): unknown {
    if (!expand.includes('latest_charge') || intent.latest_charge === null) return intent;
    return { ...intent, latest_charge: chargeOf(intent, this.refundsOf(intent.id)) };
  }
}
