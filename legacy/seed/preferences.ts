import { CUSTOMER_COUNT, customerId, SeededRandom } from './random';

/** Contact channels as the preference service names them. */
export const CHANNELS = ['email', 'sms', 'push', 'post'] as const;
export type StoredChannel = (typeof CHANNELS)[number];

/** One customer's preferences as the preference service stores them. */
export interface StoredPreferences {
  customerId: string;
  language: string;
  marketingOptIn: boolean;
  channels: StoredChannel[];
  updatedAt: string;
}

const LANGUAGES = ['en', 'en', 'de', 'fr', 'nl', 'es'];

/** Preferences for every seeded customer, identical on every start. */
export function seedPreferences(): StoredPreferences[] {
  const random = new SeededRandom(0x9e3779b9);
  const all: StoredPreferences[] = [];
  for (let n = 1; n <= CUSTOMER_COUNT; n++) {
    all.push({
      customerId: customerId(n),
      language: random.pick(LANGUAGES),
      marketingOptIn: random.chance(0.4),
      channels: CHANNELS.filter((channel) => channel === 'email' || random.chance(0.3)),
      updatedAt: random.dateBetween('2020-01-01T00:00:00Z', '2025-06-30T00:00:00Z'),
    });
  }
  return all;
}
