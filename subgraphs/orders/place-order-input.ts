import { checkIdempotencyKey } from '../kit/arguments';
import { badUserInput } from '../kit/errors';
import type { NewOrder } from './erp-client';

const MAX_LINES = 50;
const MAX_QUANTITY = 999;

/** Checks a `placeOrder` input before anything is sent to the ERP; the first problem found is reported. */
export function checkPlaceOrderInput(input: NewOrder): NewOrder {
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
  return input;
}
