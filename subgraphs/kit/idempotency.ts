import { createHash } from 'node:crypto';
import { GraphQLError } from 'graphql';
import type { Keyv } from 'keyv';
import type { Logger } from '../../platform/log';

interface IdempotencyRecord<T> {
  fingerprint: string;
  state: 'in-flight' | 'done';
  /** epoch ms */
  startedAt: number;
  result?: T;
}

export interface IdempotencySettings {
  /** How long a finished request's outcome is kept: at least a day, so a client retrying tomorrow gets the same answer. */
  keepMs: number;
  /** After this long an in-flight record is presumed abandoned (its replica died) and the key may be used again. */
  inFlightMs: number;
}

export const defaultIdempotency: IdempotencySettings = { keepMs: 48 * 60 * 60 * 1000, inFlightMs: 60_000 };

/** JSON with object keys sorted, so the same request always has the same fingerprint. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url');

/**
 * Makes a mutation safe to retry: key → (request fingerprint, outcome), kept in keyv (Redis when configured, so every
 * replica agrees). Same key and request: the first outcome, nothing done again. Same key, other request:
 * IDEMPOTENCY_KEY_REUSED. Same key while the first is running: IDEMPOTENCY_KEY_IN_PROGRESS (retry shortly).
 *
 * The work gets a reference derived from the client and the key, which the backend must deduplicate on too: if this
 * process dies between the backend's commit and the record here, the retry reaches the backend with the same
 * reference and still creates nothing new. Keys are per client, so two clients never collide.
 */
export class IdempotencyStore {
  constructor(
    private readonly store: Keyv,
    private readonly log: Logger,
    private readonly settings: IdempotencySettings = defaultIdempotency,
  ) {}

  async once<T>(client: string, key: string, request: unknown, work: (reference: string) => Promise<T>): Promise<T> {
    const reference = sha256(`${client}\n${key}`);
    const fingerprint = sha256(canonical(request));
    const existing = await this.read<T>(reference);
    if (existing) {
      if (existing.fingerprint !== fingerprint) {
        throw new GraphQLError('idempotencyKey was already used for a different request; use a new key for a new request', {
          extensions: { code: 'IDEMPOTENCY_KEY_REUSED', argumentName: 'input.idempotencyKey' },
        });
      }
      if (existing.state === 'done') return existing.result as T;
      if (Date.now() - existing.startedAt < this.settings.inFlightMs) {
        throw new GraphQLError('a request with this idempotencyKey is still in progress; retry shortly', {
          extensions: { code: 'IDEMPOTENCY_KEY_IN_PROGRESS' },
        });
      }
    }
    await this.write<T>(reference, { fingerprint, state: 'in-flight', startedAt: Date.now() }, this.settings.inFlightMs);
    let result: T;
    try {
      result = await work(reference);
    } catch (error) {
      // Nothing to remember: the client may retry with the same key (the backend deduplicates if it did commit).
      await this.forget(reference);
      throw error;
    }
    await this.write<T>(reference, { fingerprint, state: 'done', startedAt: Date.now(), result }, this.settings.keepMs);
    return result;
  }

  /** Lets go of the store's connection. */
  async close(): Promise<void> {
    await this.store.disconnect();
  }

  private async read<T>(reference: string): Promise<IdempotencyRecord<T> | undefined> {
    try {
      return await this.store.get<IdempotencyRecord<T>>(reference);
    } catch (error) {
      this.log.warn({ err: error }, 'idempotency store unreadable; relying on the backend to deduplicate');
      return undefined;
    }
  }

  private async write<T>(reference: string, record: IdempotencyRecord<T>, ttlMs: number): Promise<void> {
    try {
      await this.store.set(reference, record, ttlMs);
    } catch (error) {
      this.log.warn({ err: error }, 'idempotency store unwritable; relying on the backend to deduplicate');
    }
  }

  private async forget(reference: string): Promise<void> {
    try {
      await this.store.delete(reference);
    } catch (error) {
      this.log.warn({ err: error }, 'idempotency store unwritable');
    }
  }
}
