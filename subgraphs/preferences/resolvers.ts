import { badUserInput } from '../kit/errors';
import { DateTime } from '../kit/scalars';
import type { PreferencesBackend } from './preference-client';
import { checkPreferencesInput, mergePreferences, type PreferencesInput } from './preferences-input';

/** What every resolver of this subgraph gets: the request's own backend adapter. */
export interface PreferencesContext {
  preferences: PreferencesBackend;
}

export const resolvers = {
  DateTime,
  Mutation: {
    updatePreferences: async (_: unknown, { customerId, input }: { customerId: string; input: PreferencesInput }, { preferences }: PreferencesContext) => {
      const checked = checkPreferencesInput(input);
      const current = await preferences.preferencesOf(customerId);
      if (!current) throw badUserInput('customerId names no customer', 'customerId');
      return preferences.replacePreferences(customerId, mergePreferences(current, checked));
    },
  },
  Customer: {
    preferences: ({ id }: { id: string }, _: unknown, { preferences }: PreferencesContext) => preferences.preferencesOf(id),
  },
};
