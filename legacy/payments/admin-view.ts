import type { PaymentIntentObject, RefundObject } from './objects';

/** One intent as the stand-in's `GET /_admin/intents` shows it: the intent, with its refunds. */
export type AdminIntent = PaymentIntentObject & { refunds: readonly RefundObject[] };

/** Every intent the payments stand-in at `baseUrl` holds, oldest first, read as an operator would (tests, chaos). */
export async function adminIntents(baseUrl: string): Promise<AdminIntent[]> {
  return (await (await fetch(`${baseUrl}/_admin/intents`)).json()) as AdminIntent[];
}
