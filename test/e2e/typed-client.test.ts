import { GraphQLRequestError } from '../../examples/graphql-client';
import { describeProfile, fetchProfile } from '../../examples/profile';
import { followOrders, type OrderUpdate } from '../../examples/order-updates';
import { EventLog } from '../../platform/events/event-log';
import { EventRecorder } from '../../platform/events/sequencer';
import { silentLogger } from '../../platform/log';
import { eventually } from '../support/payments';
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

  it("follows a customer's orders with the generated OrderUpdates subscription", async () => {
    const token = await stack.token({ sub: 'cust-1', role: 'customer', scopes: CUSTOMER_READS });
    const updates: OrderUpdate[] = [];
    const stop = followOrders(
      stack.gatewayUrl,
      token,
      'cust-1',
      (update) => updates.push(update),
      () => undefined,
    );
    const log = await EventLog.open(stack.databaseUrl, silentLogger);
    const recorder = new EventRecorder(log, silentLogger);
    try {
      const { data } = await stack.query('{ customer(id: "cust-1") { orders { id } } }');
      const orderId = (data as { customer: { orders: { id: string }[] } }).customer.orders[0]?.id as string;
      await new Promise((resolve) => setTimeout(resolve, 500));
      await recorder.record([{ type: 'order.updated', key: orderId, customerId: 'cust-1', attributes: { orderId }, source: `typed-client:${Date.now()}` }]);
      await eventually(() => updates.length === 1);
      expect(updates[0]).toMatchObject({
        order: { id: orderId, total: { currency: expect.any(String) }, customer: { name: expect.any(String) } },
        eventId: expect.stringMatching(/^\d+$/),
      });
    } finally {
      await stop();
      recorder.close();
      await log.close();
    }
  });
});
