import { checkIdempotencyKey, checkText } from '../kit/arguments';
import { badUserInput } from '../kit/errors';
import type { OpenSupportTicketInput } from './generated/resolvers-types';
import type { NewTicket } from './helpdesk-client';

const MAX_DESCRIPTION = 10_000;

/** Checks an `openSupportTicket` input before anything is sent to the helpdesk. */
export function checkOpenTicketInput(input: OpenSupportTicketInput): NewTicket {
  if (input.idempotencyKey != null) checkIdempotencyKey(input.idempotencyKey, 'input.idempotencyKey');
  if (input.customerId.trim() === '') throw badUserInput('input.customerId must not be empty', 'input.customerId');
  const description = input.description ?? '';
  if (description.length > MAX_DESCRIPTION) throw badUserInput(`input.description must be at most ${MAX_DESCRIPTION} characters`, 'input.description');
  return {
    customerId: input.customerId,
    subject: checkText(input.subject, 'input.subject', 200),
    description,
    // The schema defaults it, but a client may still send null explicitly.
    priority: input.priority ?? 'NORMAL',
    ...(input.idempotencyKey != null ? { idempotencyKey: input.idempotencyKey } : {}),
  };
}
