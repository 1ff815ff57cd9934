import { MAX_BATCH } from './batch';
import { badUserInput } from './errors';

/** Validates a `first:` page-size argument: a whole number from 0 to 100. */
export function checkFirst(first: number, argumentName = 'first'): number {
  if (!Number.isInteger(first) || first < 0 || first > MAX_BATCH) {
    throw badUserInput(`${argumentName} must be a whole number from 0 to ${MAX_BATCH}`, argumentName);
  }
  return first;
}

/** Validates a required free-text argument: trimmed, non-empty, at most `maxLength` characters. */
export function checkText(value: string, argumentName: string, maxLength: number): string {
  const trimmed = value.trim();
  if (trimmed === '') throw badUserInput(`${argumentName} must not be empty`, argumentName);
  if (trimmed.length > maxLength) throw badUserInput(`${argumentName} must be at most ${maxLength} characters`, argumentName);
  return trimmed;
}
