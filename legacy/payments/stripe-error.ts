/** Stripe's error body, `{ error: … }`, with the fields this stand-in uses. */
export interface StripeErrorBody {
  type: 'api_error' | 'card_error' | 'idempotency_error' | 'invalid_request_error';
  message: string;
  code?: string;
  param?: string;
  decline_code?: string;
  charge?: string;
  payment_intent?: unknown;
}

/** A request Stripe would refuse: thrown by an operation before it changes anything, answered as `{ error }`. */
export class StripeFailure extends Error {
  override name = 'StripeFailure';
  constructor(
    readonly status: number,
    readonly error: StripeErrorBody,
    readonly headers: Record<string, string> = {},
  ) {
    super(error.message);
  }
}

/** A 400 `invalid_request_error`, naming the parameter at fault when there is one. */
export const invalidRequest = (message: string, param?: string, code?: string): StripeFailure =>
  new StripeFailure(400, { type: 'invalid_request_error', message, ...(param ? { param } : {}), ...(code ? { code } : {}) });

/** Stripe's `resource_missing`: `No such <kind>: '<id>'` (ids cut short: they come from the caller). */
export const resourceMissing = (status: 400 | 404, kind: string, id: string, param: string): StripeFailure =>
  new StripeFailure(status, { type: 'invalid_request_error', code: 'resource_missing', param, message: `No such ${kind}: '${id.slice(0, 60)}'` });

/** Stripe's `payment_intent_unexpected_state`, carrying the intent as it is. */
export const unexpectedState = (message: string, intent: unknown): StripeFailure =>
  new StripeFailure(400, { type: 'invalid_request_error', code: 'payment_intent_unexpected_state', message, payment_intent: intent });
