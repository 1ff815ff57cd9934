import { MAX_BATCH } from './batch';
import { badUserInput } from './errors';

/** Validates a `first:` page-size argument: a whole number from 0 to 100. */
export function checkFirst(first: number, argumentName = 'first'): number {
  if (!Number.isInteger(first) || first < 0 || first > MAX_BATCH) {
    throw badUserInput(`${argumentName} must be a whole number from 0 to ${MAX_BATCH}`, argumentName);
  }
  return first;
}

/** Printable ASCII without spaces, as the legacy systems' external references allow. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,100}$/;

/** Validates a client-chosen idempotency key: 1 to 100 printable ASCII characters without spaces. */
export function checkIdempotencyKey(key: string, argumentName: string): string {
  if (!IDEMPOTENCY_KEY.test(key)) throw badUserInput(`${argumentName} must be 1 to 100 printable ASCII characters without spaces`, argumentName);
  return key;
}

/** Validates a required free-text argument: trimmed, non-empty, at most `maxLength` characters. */
export function checkText(value: string, argumentName: string, maxLength: number): string {
  const trimmed = value.trim();
  if (trimmed === '') throw badUserInput(`${argumentName} must not be empty`, argumentName);
  if (trimmed.length > maxLength) throw badUserInput(`${argumentName} must be at most ${maxLength} characters`, argumentName);
  return trimmed;
}
