import { badUserInput } from '../kit/errors';
import type { Channel, PreferenceValues } from './preference-client';

export interface PreferencesInput {
  language?: string | null;
  marketingOptIn?: boolean | null;
  channels?: Channel[] | null;
}

const LANGUAGE_TAG = /^[a-z]{2}(-[A-Z]{2})?$/;

/** Checks an `updatePreferences` input before anything is read or written; the first problem found is reported. */
export function checkPreferencesInput(input: PreferencesInput): PreferencesInput {
  if (input.language == null && input.marketingOptIn == null && input.channels == null) {
    throw badUserInput('input must set at least one of language, marketingOptIn, channels', 'input');
  }
  if (input.language != null && !LANGUAGE_TAG.test(input.language)) {
    throw badUserInput('input.language must be a language tag such as "en" or "en-GB"', 'input.language');
  }
  if (input.channels != null && new Set(input.channels).size !== input.channels.length) {
    throw badUserInput('input.channels must not list a channel twice', 'input.channels');
  }
  return input;
}

/** The current values with those the (checked) input sets. */
export function mergePreferences(current: PreferenceValues, input: PreferencesInput): PreferenceValues {
  return {
    language: input.language ?? current.language,
    marketingOptIn: input.marketingOptIn ?? current.marketingOptIn,
    channels: input.channels ?? current.channels,
  };
}
