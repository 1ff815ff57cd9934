import { actsFor, allow, and, canUse, type IRules } from '../kit/permissions';

/** Who may read and change preferences (the README's access table); anything not listed is denied. */
export const permissions: IRules = {
  Mutation: {
    updatePreferences: and(
      canUse('preferences:write'),
      actsFor((_: unknown, { customerId }: { customerId: string }) => customerId),
    ),
  },
  Customer: {
    id: allow,
    preferences: and(
      canUse('preferences:read'),
      actsFor((customer: { id: string }) => customer.id),
    ),
  },
  // Reached only through the guarded fields above.
  Preferences: allow,
};
