import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CUSTOMER_COUNT } from '../legacy/seed/random';
import { repoRoot } from '../platform/paths';

/** One subgraph call of a direct plan: which subgraph, and the body sent. */
export interface DirectFetch {
  subgraph: string;
  body: string;
}

/** A workload: what a client sends a gateway, and what the same answer costs calling the subgraphs directly. */
export interface Workload {
  name: string;
  /** The next request body (random customer, write or read…). */
  body(): string;
  /** The subgraph fetches one such request takes when called directly: the first step, then the rest in parallel. */
  direct(): { first: DirectFetch; then(firstAnswer: unknown): DirectFetch[] };
  /** Whether an answer without errors counts as done (place-order: the order CONFIRMED); any such answer when unset. */
  done?(answer: string): boolean;
}

const PROFILE = readFileSync(join(repoRoot, 'examples', 'operations', 'profile.graphql'), 'utf8');
const LIST = `{ customers(first: 50) { nodes { id name tier orders(first: 5) { id status total { amount currency } } preferences { language channels } supportTickets { id status } } } }`;
const UPDATE = `mutation Update($id: ID!, $input: PreferencesInput!) { updatePreferences(customerId: $id, input: $input) { language marketingOptIn } }`;

const PLACE_ORDER = `mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { id status payment { status } } }`;
/** A card order for a random customer, under a key never used before: every request is a whole payment workflow. */
const placeOrderBody = () =>
  json(PLACE_ORDER, {
    input: { customerId: randomCustomer(), idempotencyKey: randomUUID(), lines: [{ sku: 'SKU-0001', quantity: 1 }], paymentMethod: 'pm_card_visa' },
  });

const randomCustomer = () => `cust-${1 + Math.floor(Math.random() * CUSTOMER_COUNT)}`;
const json = (query: string, variables?: Record<string, unknown>) => JSON.stringify(variables ? { query, variables } : { query });
const entities = (selection: string) =>
  `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Customer { ${selection} } } }`;
/** What the gateway's query plan asks of orders, preferences and support-tickets for the given customers. */
const customerExtras = (ids: string[], orders: string, preferences: string, tickets: string): DirectFetch[] => {
  const variables = { representations: ids.map((id) => ({ __typename: 'Customer', id })) };
  return [
    { subgraph: 'orders', body: json(entities(orders), variables) },
    { subgraph: 'preferences', body: json(entities(preferences), variables) },
    { subgraph: 'support-tickets', body: json(entities(tickets), variables) },
  ];
};

const profileDirect = () => {
  const id = randomCustomer();
  return {
    first: { subgraph: 'customers', body: json('query($id: ID!) { customer(id: $id) { __typename id name email tier } }', { id }) },
    then: () =>
      customerExtras(
        [id],
        'orders(first: 5) { id status placedAt total { amount currency } }',
        'preferences { language marketingOptIn channels }',
        'supportTickets { id subject status priority }',
      ),
  };
};

/** The subgraph fetches a Profile of one random customer takes, as the gateway's query plan makes them. */
export function profileFetches(): DirectFetch[] {
  const plan = profileDirect();
  return [plan.first, ...plan.then()];
}

export const WORKLOADS: Workload[] = [
  {
    name: 'profile',
    body: () => json(PROFILE, { id: randomCustomer() }),
    direct: profileDirect,
  },
  {
    name: 'list-50',
    body: () => json(LIST),
    direct: () => ({
      first: { subgraph: 'customers', body: json('{ customers(first: 50) { nodes { __typename id name tier } } }') },
      then: (answer) => {
        const nodes = (answer as { data?: { customers?: { nodes?: Array<{ id: string }> } } }).data?.customers?.nodes ?? [];
        return customerExtras(
          nodes.map((node) => node.id),
          'orders(first: 5) { id status total { amount currency } }',
          'preferences { language channels }',
          'supportTickets { id status }',
        );
      },
    }),
  },
  {
    name: 'mutation-mix',
    // One request in ten changes a customer's preferences; the rest read profiles.
    body: () =>
      Math.random() < 0.1 ? json(UPDATE, { id: randomCustomer(), input: { marketingOptIn: Math.random() < 0.5 } }) : json(PROFILE, { id: randomCustomer() }),
    direct: () =>
      Math.random() < 0.1
        ? { first: { subgraph: 'preferences', body: json(UPDATE, { id: randomCustomer(), input: { marketingOptIn: Math.random() < 0.5 } }) }, then: () => [] }
        : profileDirect(),
  },
  {
    name: 'place-order',
    // Book, authorize, confirm, capture: the answer counts only once the order is CONFIRMED.
    body: placeOrderBody,
    direct: () => ({ first: { subgraph: 'orders', body: placeOrderBody() }, then: () => [] }),
    done: (answer) => answer.includes('"status":"CONFIRMED"'),
  },
];
