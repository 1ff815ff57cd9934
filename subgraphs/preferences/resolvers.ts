import { badUserInput } from '../kit/errors';
import { DateTime } from '../kit/scalars';
import type { SubgraphContext } from '../kit/subgraph-server';
import type { Resolvers } from './generated/resolvers-types';
import type { PreferencesBackend } from './preference-client';
import { checkPreferencesInput, mergePreferences } from './preferences-input';

/** What `adapters` (subgraph.ts) makes per request: the request's own backend adapter. */
export interface PreferencesContext {
  preferences: PreferencesBackend;
}

/** What every resolver gets: that, and the verified caller. */
export type ResolverContext = SubgraphContext & PreferencesContext;

// Argument, parent and result types come from schema.graphql (`npm run codegen`).
export const resolvers: Resolvers = {
  DateTime,
  Mutation: {
    updatePreferences: async (_, { customerId, input }, { preferences }) => {
      const checked = checkPreferencesInput(input);
      const current = await preferences.latestPreferencesOf(customerId);
      if (!current) throw badUserInput('customerId names no customer', 'customerId');
      return preferences.replacePreferences(customerId, mergePreferences(current, checked));
    },
  },
  Customer: {
    preferences: ({ id }, _, { preferences }) => preferences.preferencesOf(id),
  },
};
