import DataLoader from 'dataloader';
import { z } from 'zod';
import { byKeys, MAX_BATCH } from '../kit/batch';
import { rememberingBatch, type Remembering } from '../kit/last-good';
import { badUserInput } from '../kit/errors';
import type { RestClient } from '../kit/rest-client';

export const CHANNELS = ['EMAIL', 'SMS', 'PUSH', 'POST'] as const;
export type Channel = (typeof CHANNELS)[number];

/** A customer's preferences as the preferences subgraph serves them. */
export interface Preferences {
  customerId: string;
  language: string;
  marketingOptIn: boolean;
  channels: Channel[];
  updatedAt: string;
}

export type PreferenceValues = Pick<Preferences, 'language' | 'marketingOptIn' | 'channels'>;

/** What the preferences subgraph needs from a preference store. One instance per request: loads are batched within it. */
export interface PreferencesBackend {
  /** One customer's preferences, batched; null when the customer is unknown. */
  preferencesOf(customerId: string): Promise<Preferences | null>;
  /** The same, never from kept values: what a read-modify-write must start from. */
  latestPreferencesOf(customerId: string): Promise<Preferences | null>;
  /** Replaces one customer's preferences; BAD_USER_INPUT when the customer is unknown. */
  replacePreferences(customerId: string, values: PreferenceValues): Promise<Preferences>;
}

const storedPreferences = z.object({
  customerId: z.string(),
  language: z.string(),
  marketingOptIn: z.boolean(),
  channels: z.array(z.enum(['email', 'sms', 'push', 'post'])),
  updatedAt: z.string(),
});
const storedBatch = z.object({ preferences: z.array(storedPreferences) });

/** The store names channels in lower case; the API in upper case. */
const toPreferences = (stored: z.infer<typeof storedPreferences>): Preferences => ({
  ...stored,
  channels: stored.channels.map((c) => c.toUpperCase() as Channel),
});

/** The preference service's REST API behind the preferences subgraph, with per-request batching. */
export class PreferenceClient implements PreferencesBackend {
  // While the backend is down, a batch may be answered from its last good values (marked stale).
  private readonly byCustomer = new DataLoader<string, Preferences | null>((ids) => rememberingBatch((keys) => this.fetch(keys), this.memory)(ids), {
    maxBatchSize: MAX_BATCH,
  });

  constructor(
    private readonly http: RestClient,
    private readonly memory?: Remembering<Preferences | null>,
    /** The request's: when it aborts (deadline passed, caller gone), pending calls end and no batch is sent. */
    private readonly signal?: AbortSignal,
  ) {}

  preferencesOf(customerId: string): Promise<Preferences | null> {
    return this.byCustomer.load(customerId);
  }

  async latestPreferencesOf(customerId: string): Promise<Preferences | null> {
    await this.memory?.fresh?.forget(customerId);
    return this.byCustomer.clear(customerId).load(customerId);
  }

  async replacePreferences(customerId: string, values: PreferenceValues): Promise<Preferences> {
    const answer = await this.http.send('PUT', `/preferences/${encodeURIComponent(customerId)}`, {
      signal: this.signal,
      json: { ...values, channels: values.channels.map((c) => c.toLowerCase()) },
    });
    if (answer.status === 404) throw badUserInput('customerId names no customer', 'customerId');
    const updated = toPreferences(this.http.expect(answer, storedPreferences));
    await this.memory?.fresh?.forget(customerId);
    this.byCustomer.clear(customerId).prime(customerId, updated);
    return updated;
  }

  private async fetch(customerIds: readonly string[]): Promise<(Preferences | null)[]> {
    const answer = await this.http.send('GET', '/preferences', { signal: this.signal, query: { customerIds: customerIds.join(',') } });
    return byKeys(customerIds, this.http.expect(answer, storedBatch).preferences.map(toPreferences), (p) => p.customerId);
  }
}
