/** What a test card does when a payment is confirmed with it. */
export type CardBehaviour =
  | { kind: 'approve' }
  | { kind: 'decline'; declineCode: string; message: string }
  /** The first create for an idempotency key is refused with a 429; its retry goes through. */
  | { kind: 'rateLimitedOnce' };

/** A test card: only brand and last four digits, as Stripe shows a card; no card number exists anywhere. */
export interface TestCard {
  brand: 'visa' | 'mastercard' | 'amex';
  last4: string;
  behaviour: CardBehaviour;
}

const approve: CardBehaviour = { kind: 'approve' };

/** Stripe's test PaymentMethod tokens this stand-in knows, plus one of its own for a retry. */
const TEST_CARDS: Readonly<Record<string, TestCard>> = {
  pm_card_visa: { brand: 'visa', last4: '4242', behaviour: approve },
  pm_card_mastercard: { brand: 'mastercard', last4: '4444', behaviour: approve },
  pm_card_amex: { brand: 'amex', last4: '8431', behaviour: approve },
  pm_card_chargeDeclined: { brand: 'visa', last4: '0002', behaviour: { kind: 'decline', declineCode: 'generic_decline', message: 'Your card was declined.' } },
  pm_card_chargeDeclinedInsufficientFunds: {
    brand: 'visa',
    last4: '9995',
    behaviour: { kind: 'decline', declineCode: 'insufficient_funds', message: 'Your card has insufficient funds.' },
  },
  pm_card_atrium_rateLimitedOnce: { brand: 'visa', last4: '1881', behaviour: { kind: 'rateLimitedOnce' } },
};

// Test cards never expire: a fixed date keeps answers the same from one run to the next.
const EXPIRY = { exp_month: 12, exp_year: 2034 };
// When the test cards were "created": fixed for the same reason.
const CREATED = 1_704_067_200;

/** The test card of a PaymentMethod id, or undefined. */
export const testCard = (id: string): TestCard | undefined => (Object.hasOwn(TEST_CARDS, id) ? TEST_CARDS[id] : undefined);

/** The `card` of a PaymentMethod or of a charge's `payment_method_details`. */
export const cardDetails = (card: TestCard) => ({ brand: card.brand, last4: card.last4, ...EXPIRY });

/** A PaymentMethod as Stripe answers it. */
export const paymentMethodObject = (id: string, card: TestCard) => ({
  id,
  object: 'payment_method',
  type: 'card',
  card: cardDetails(card),
  billing_details: { address: null, email: null, name: null, phone: null },
  created: CREATED,
  customer: null,
  livemode: false,
  metadata: {},
});
