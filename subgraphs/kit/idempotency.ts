import { createHash } from 'node:crypto';
import { GraphQLError } from 'graphql';
import type { Keyv } from 'keyv';
import type { Identity } from '../../platform/identity';
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

/** The same key was used before for another request: a new request needs a new key. Also what an adapter answers when its backend refuses a reused reference. */
export const idempotencyKeyReused = (): GraphQLError =>
  new GraphQLError('idempotencyKey was already used for a different request; use a new key for a new request', {
    extensions: { code: 'IDEMPOTENCY_KEY_REUSED', argumentName: 'input.idempotencyKey' },
  });

/** A request with this key is still being worked on: the client retries with the same key. */
export const inProgress = (): GraphQLError =>
  new GraphQLError('a request with this idempotencyKey is still in progress; retry shortly', { extensions: { code: 'IDEMPOTENCY_KEY_IN_PROGRESS' } });

const unavailable = (cause: unknown) =>
  new GraphQLError('idempotency records are unavailable, so nothing was done; retry shortly with the same key', {
    extensions: { code: 'IDEMPOTENCY_UNAVAILABLE' },
    originalError: cause instanceof Error ? cause : undefined,
  });

/**
 * Whose key it is: the caller's identity (how it signed in, its client and its subject), so two customers of one client
 * never share a key. Not its role or scopes: a retry with a refreshed token must still find its record.
 */
const keyScope = (caller: Identity): string => JSON.stringify([caller.via, caller.clientId, caller.subject]);

/** Two requests are the same request when their fingerprints are equal (key order does not matter). */
export const requestFingerprint = (request: unknown): string => sha256(canonical(request));

/** The reference a backend deduplicates on for this caller's key: the same for every retry, another for every caller. */
export const idempotencyReference = (caller: Identity, key: string): string => sha256(`${keyScope(caller)}\n${key}`);

/**
 * Makes a mutation safe to retry: (caller, key) → (request fingerprint, outcome), kept in a durable keyv store (SQLite
 * under the data folder, or Redis shared by every replica). Same key and request: the first outcome, nothing done again.
 * Same key, other request: IDEMPOTENCY_KEY_REUSED. Same key while the first is running: IDEMPOTENCY_KEY_IN_PROGRESS.
 *
 * The work gets a reference derived from the caller and the key, which the backend deduplicates on and refuses for a
 * different request: if this process dies between the backend's commit and the record here, or two replicas race,
 * the backend still books nothing twice. A store that cannot be read or written makes the key unavailable
 * (IDEMPOTENCY_UNAVAILABLE) rather than skipping the fingerprint check here.
 */
export class IdempotencyStore {
  /** References whose work runs in this process: a second request for one is told to wait, not sent to the backend. */
  private readonly running = new Set<string>();

  constructor(
    private readonly store: Keyv,
    private readonly log: Logger,
    private readonly settings: IdempotencySettings = defaultIdempotency,
  ) {}

  async once<T>(caller: Identity, key: string, request: unknown, work: (reference: string) => Promise<T>): Promise<T> {
    const reference = idempotencyReference(caller, key);
    const fingerprint = requestFingerprint(request);
    const existing = await this.guarded(() => this.store.get<IdempotencyRecord<T>>(reference));
    if (existing) {
      if (existing.fingerprint !== fingerprint) throw idempotencyKeyReused();
      if (existing.state === 'done') return existing.result as T;
      if (Date.now() - existing.startedAt < this.settings.inFlightMs) throw inProgress();
    }
    if (this.running.has(reference)) throw inProgress();
    this.running.add(reference);
    try {
      const claim: IdempotencyRecord<T> = { fingerprint, state: 'in-flight', startedAt: Date.now() };
      await this.guarded(() => this.store.set(reference, claim, this.settings.inFlightMs));
      let result: T;
      try {
        result = await work(reference);
      } catch (error) {
        // Nothing to remember: the client may retry with the same key (the backend deduplicates if it did commit).
        await this.store.delete(reference).catch((cause: unknown) => this.log.warn({ err: cause }, 'idempotency record not removed; it expires'));
        throw error;
      }
      const done: IdempotencyRecord<T> = { fingerprint, state: 'done', startedAt: claim.startedAt, result };
      // The work is done and the backend knows its reference: a retry finds the same outcome there if not here.
      await this.store.set(reference, done, this.settings.keepMs).catch((cause: unknown) => this.log.warn({ err: cause }, 'idempotency outcome not recorded'));
      return result;
    } finally {
      this.running.delete(reference);
    }
  }

  /** Lets go of the store's connection. */
  async close(): Promise<void> {
    await this.store.disconnect();
  }

  private async guarded<R>(call: () => Promise<R>): Promise<R> {
    try {
      return await call();
    } catch (error) {
      this.log.warn({ err: error }, 'idempotency store unavailable');
      throw unavailable(error);
    }
  }
}
