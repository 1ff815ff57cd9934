import { execute, GraphQLRequestError } from './graphql-client';
import { ProfileDocument, type ProfileQuery } from './generated/operations';

/** One customer's profile: the Profile query of examples/operations/profile.graphql, fully typed. */
export async function fetchProfile(endpoint: string, token: string, customerId: string): Promise<ProfileQuery['customer']> {
  const { customer } = await execute(endpoint, ProfileDocument, { id: customerId }, { authorization: `Bearer ${token}` });
  return customer;
}

/** A few lines a person reads: the compiler knows every field used here exists and whether it can be null. */
export function describeProfile(customer: NonNullable<ProfileQuery['customer']>): string {
  const latest = customer.orders?.[0];
  return [
    `${customer.name} <${customer.email ?? 'no email'}>, ${customer.tier}`,
    latest ? `latest order ${latest.id}: ${latest.status}, ${latest.total.amount} ${latest.total.currency}` : 'no orders',
    `language ${customer.preferences?.language ?? 'unknown'}; ${customer.supportTickets?.length ?? 0} support ticket(s)`,
  ].join('\n');
}

/** `ATRIUM_TOKEN=$(npm run --silent token -- …) npm run example:profile -- cust-1` */
async function main(): Promise<number> {
  const endpoint = process.env.ATRIUM_URL ?? 'http://127.0.0.1:4000/graphql';
  const token = process.env.ATRIUM_TOKEN;
  const customerId = process.argv[2] ?? 'cust-1';
  if (!token) {
    process.stderr.write('set ATRIUM_TOKEN to an access token, e.g. from `npm run --silent token -- --sub cust-1 --role customer --scopes "…"`\n');
    return 2;
  }
  try {
    const customer = await fetchProfile(endpoint, token, customerId);
    process.stdout.write(customer ? `${describeProfile(customer)}\n` : `no customer ${customerId}\n`);
    return customer ? 0 : 1;
  } catch (error) {
    if (!(error instanceof GraphQLRequestError)) throw error;
    process.stderr.write(`the gateway refused: ${error.message}\n`);
    return 1;
  }
}

if (require.main === module) void main().then((code) => (process.exitCode = code));
