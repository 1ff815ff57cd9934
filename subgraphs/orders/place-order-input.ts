import { parseCents } from '../../platform/money';
import { checkIdempotencyKey } from '../kit/arguments';
import { badUserInput } from '../kit/errors';
import type { PlaceOrderInput } from './generated/resolvers-types';

const MAX_LINES = 50;
const MAX_QUANTITY = 999;
/** A payment provider's token for a payment method (pm_…); a card number is never one. */
const PAYMENT_METHOD = /^pm_[A-Za-z0-9_]{1,100}$/;

/** Checks a `placeOrder` input before anything is sent to the ERP or the payment provider; the first problem found is reported. */
export function checkPlaceOrderInput(input: PlaceOrderInput): PlaceOrderInput {
  checkIdempotencyKey(input.idempotencyKey, 'input.idempotencyKey');
  if (input.customerId.trim() === '') throw badUserInput('input.customerId must not be empty', 'input.customerId');
  if (input.lines.length === 0 || input.lines.length > MAX_LINES) {
    throw badUserInput(`input.lines must have 1 to ${MAX_LINES} lines`, 'input.lines');
  }
  input.lines.forEach((line, i) => {
    if (line.sku.trim() === '') throw badUserInput(`input.lines[${i}].sku must not be empty`, `input.lines[${i}].sku`);
    if (!Number.isInteger(line.quantity) || line.quantity < 1 || line.quantity > MAX_QUANTITY) {
      throw badUserInput(`input.lines[${i}].quantity must be a whole number from 1 to ${MAX_QUANTITY}`, `input.lines[${i}].quantity`);
    }
  });
  if (input.paymentMethod != null && !PAYMENT_METHOD.test(input.paymentMethod)) {
    throw badUserInput('input.paymentMethod must be a payment method token such as pm_card_visa (never a card number)', 'input.paymentMethod');
  }
  if (input.expectedTotal != null && parseCents(input.expectedTotal) === undefined) {
    throw badUserInput('input.expectedTotal must be a decimal amount such as 24.60', 'input.expectedTotal');
  }
  return input;
}
