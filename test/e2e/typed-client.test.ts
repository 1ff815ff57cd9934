import { GraphQLRequestError } from '../../examples/graphql-client';
import { describeProfile, fetchProfile } from '../../examples/profile';
import { startStack, type Stack } from '../support/stack';

const CUSTOMER_READS = 'customers:read pii:read orders:read preferences:read tickets:read';

describe('the typed client example', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.stop());

  it('runs the generated Profile document with a customer token and gets every part of the profile', async () => {
    const token = await stack.token({ sub: 'cust-1', role: 'customer', scopes: CUSTOMER_READS });
    const customer = await fetchProfile(stack.gatewayUrl, token, 'cust-1');
    expect(customer).toMatchObject({ id: 'cust-1', name: expect.any(String), preferences: { language: expect.any(String) } });
    expect(customer?.orders?.length).toBeGreaterThan(0);
    expect(describeProfile(customer as NonNullable<typeof customer>)).toContain(customer?.name);
  });

  it('surfaces the gateway refusal with its code', async () => {
    await expect(fetchProfile(stack.gatewayUrl, 'not-a-token', 'cust-1')).rejects.toThrow(GraphQLRequestError);
    await expect(fetchProfile(stack.gatewayUrl, 'not-a-token', 'cust-1')).rejects.toThrow(/UNAUTHENTICATED/);
  });
});
