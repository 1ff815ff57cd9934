import { createHash } from 'node:crypto';

/** A POST answered under an idempotency key: what a repeat with the same key and parameters gets again. */
export interface IdempotencyRecord {
  /** The API key's fingerprint and the idempotency key: keys are per API key, as at Stripe. */
  scope: string;
  /** The method, path and parameters the key was first used with. */
  request: string;
  status: number;
  body: unknown;
  /** Milliseconds since the epoch. */
  savedAt: number;
}

/** Stripe keeps an idempotency key's result for 24 hours. */
export const RETENTION_MS = 24 * 60 * 60 * 1000;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The scope of an idempotency key under an API key; the API key itself is never kept. */
export const idempotencyScope = (apiKey: string, key: string): string => `${sha256(apiKey).slice(0, 16)}:${key}`;

/** What a request is, for telling a repeat from another use of the same key: method, path and its parameters in order. */
export const requestFingerprint = (method: string, path: string, body: string): string =>
  sha256(JSON.stringify([method, path, [...new URLSearchParams(body)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]));

/** Idempotency records by scope, and the scopes of requests still being answered. */
export class IdempotencyRecords {
  // Insertion order is age order: the oldest records are at the front, where expiry looks.
  private readonly records = new Map<string, IdempotencyRecord>();
  private readonly inFlight = new Set<string>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Keeps a record (a live one, or one replayed from the journal), dropping those past their 24 hours. */
  apply(record: IdempotencyRecord): void {
    this.records.delete(record.scope);
    this.records.set(record.scope, record);
    this.expire();
  }

  /** The record of a scope, unless expired. */
  find(scope: string): IdempotencyRecord | undefined {
    this.expire();
    return this.records.get(scope);
  }

  /** Marks a scope as being answered; false when another request holds it (Stripe's 409 idempotency_key_in_use). */
  claim(scope: string): boolean {
    if (this.inFlight.has(scope)) return false;
    this.inFlight.add(scope);
    return true;
  }

  release(scope: string): void {
    this.inFlight.delete(scope);
  }

  private expire(): void {
    const oldest = this.now() - RETENTION_MS;
    for (const [scope, record] of this.records) {
      if (record.savedAt >= oldest) break;
      this.records.delete(scope);
    }
  }
}
