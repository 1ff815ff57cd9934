import { EventLog, type NewEvent } from '../../platform/events/event-log';
import { EventRecorder } from '../../platform/events/sequencer';
import { silentLogger } from '../../platform/log';
import { eventually } from '../support/payments';
import { startStack, type Stack } from '../support/stack';
import { sseSubscribe, subscribe, wsClient } from '../support/subscriptions';
import { describeWithDatabase } from '../support/database';

const ORDER_UPDATED = /* GraphQL */ `
  subscription Orders($customerId: ID!) {
    orderUpdated(customerId: $customerId) {
      id
      status
      customer {
        id
        name
      }
    }
  }
`;

describeWithDatabase('subscriptions through the gateway', () => {
  let stack: Stack;
  let log: EventLog;
  let recorder: EventRecorder;
  /** An order of each of two customers, read from the ERP through the gateway. */
  let mine: { id: string; customerId: string };
  let theirs: { id: string; customerId: string };
  let change = 0;
  const orderChanged = (order: { id: string; customerId: string }, customerId = order.customerId): NewEvent => ({
    type: 'order.updated',
    key: order.id,
    customerId,
    attributes: { orderId: order.id, status: 'SHIPPED' },
    source: `test:${(change += 1)}`,
  });
  const tokenFor = (customerId: string) => stack.token({ role: 'customer', sub: customerId, scopes: 'customers:read orders:read pii:read' });

  beforeAll(async () => {
    stack = await startStack();
    log = await EventLog.open(stack.databaseUrl, silentLogger);
    recorder = new EventRecorder(log, silentLogger);
    const read = async (id: string) => {
      const { data } = await stack.query(`{ order(id: "${id}") { id customer { id } } }`);
      const order = (data as { order: { id: string; customer: { id: string } } }).order;
      return { id: order.id, customerId: order.customer.id };
    };
    mine = await read('ord-1');
    for (let n = 2; ; n += 1) {
      theirs = await read(`ord-${n}`);
      if (theirs.customerId !== mine.customerId) break;
    }
  }, 60_000);
  afterAll(async () => {
    recorder.close();
    await log.close();
    await stack.stop();
  });

  it('delivers an order change over graphql-ws with fields from several subgraphs, the event id in extensions', async () => {
    const client = wsClient(stack.gatewayUrl, { authorization: `Bearer ${await tokenFor(mine.customerId)}` });
    const { received, stop } = subscribe(client, ORDER_UPDATED, { customerId: mine.customerId });
    await new Promise((resolve) => setTimeout(resolve, 500));
    await recorder.record([orderChanged(mine)]);
    await eventually(() => received.results.length === 1);
    const [result] = received.results;
    expect(result?.errors).toBeUndefined();
    expect(result?.data).toEqual({ orderUpdated: { id: mine.id, status: expect.any(String), customer: { id: mine.customerId, name: expect.any(String) } } });
    expect(result?.extensions?.eventId).toMatch(/^\d+$/);
    stop();
    await client.dispose();
  });

  it("refuses a customer who subscribes to another customer's orders, with FORBIDDEN at subscribe time", async () => {
    const client = wsClient(stack.gatewayUrl, { authorization: `Bearer ${await tokenFor(mine.customerId)}` });
    const { received } = subscribe(client, ORDER_UPDATED, { customerId: theirs.customerId });
    await eventually(() => received.completed);
    expect((received.error as { extensions?: { code?: string } }[])[0]?.extensions?.code).toBe('FORBIDDEN');
    await client.dispose();
  });

  it('withholds an event whose entity the subscriber may not read, even when the event claims to be theirs', async () => {
    const client = wsClient(stack.gatewayUrl, { authorization: `Bearer ${await tokenFor(mine.customerId)}` });
    const { received, stop } = subscribe(client, ORDER_UPDATED, { customerId: mine.customerId });
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Another customer's order, with this customer's id on the event: the order's own rules keep it from them.
    await recorder.record([orderChanged(theirs, mine.customerId)]);
    await recorder.record([orderChanged(mine)]);
    await eventually(() => received.results.length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(received.results.map((result) => (result.data?.orderUpdated as { id: string }).id)).toEqual([mine.id]);
    stop();
    await client.dispose();
  });

  it('an agent follows any customer; a reconnecting SSE subscriber gets the 10 events it missed, in order, once each, then live ones', async () => {
    const agent = { authorization: `Bearer ${await stack.token({ role: 'agent', sub: 'agent-7', scopes: 'customers:read orders:read pii:read' })}` };
    const first = await sseSubscribe(stack.gatewayUrl, ORDER_UPDATED, { customerId: mine.customerId }, agent);
    expect(first.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await recorder.record([orderChanged(mine)]);
    await eventually(() => first.results.length === 1);
    const seen = first.results[0]?.extensions?.eventId as string;
    first.close();

    const missed = Array.from({ length: 10 }, () => orderChanged(mine));
    for (const event of missed) await recorder.record([event]);
    const again = await sseSubscribe(stack.gatewayUrl, ORDER_UPDATED, { customerId: mine.customerId }, { ...agent, 'last-event-id': seen });
    await eventually(() => again.results.length === 10);
    await recorder.record([orderChanged(mine)]);
    await eventually(() => again.results.length === 11);
    const ids = again.results.map((result) => BigInt(result.extensions?.eventId as string));
    expect(new Set(ids).size).toBe(11);
    expect([...ids].sort((a, b) => (a < b ? -1 : 1))).toEqual(ids);
    expect(ids[0]).toBeGreaterThan(BigInt(seen));
    again.close();
  });

  it('refuses bad requests with a status and a code', async () => {
    const agent = { authorization: `Bearer ${await stack.token({ role: 'agent', sub: 'agent-7', scopes: 'customers:read orders:read' })}` };
    const badCursor = await sseSubscribe(stack.gatewayUrl, ORDER_UPDATED, { customerId: mine.customerId }, { ...agent, 'last-event-id': 'yesterday' });
    expect([badCursor.status, badCursor.refusal?.errors[0]?.extensions.code]).toEqual([400, 'BAD_USER_INPUT']);
    const query = await sseSubscribe(stack.gatewayUrl, '{ order(id: "ord-1") { id } }', {}, agent);
    expect([query.status, query.refusal?.errors[0]?.extensions.code]).toEqual([400, 'BAD_REQUEST']);
    const unknown = await sseSubscribe(stack.gatewayUrl, 'subscription { nothing { id } }', {}, agent);
    expect([unknown.status, unknown.refusal?.errors[0]?.extensions.code]).toEqual([400, 'GRAPHQL_VALIDATION_FAILED']);
    const anonymous = await sseSubscribe(stack.gatewayUrl, ORDER_UPDATED, { customerId: mine.customerId }, {});
    expect([anonymous.status, anonymous.refusal?.errors[0]?.extensions.code]).toEqual([401, 'UNAUTHENTICATED']);
  });

  it('a card placeOrder reaches that customer as orderUpdated and paymentUpdated within a second, and no one else', async () => {
    const customer = 'cust-11';
    const mineClient = wsClient(stack.gatewayUrl, { authorization: `Bearer ${await tokenFor(customer)}` });
    const othersClient = wsClient(stack.gatewayUrl, { authorization: `Bearer ${await tokenFor(theirs.customerId)}` });
    const orders = subscribe(mineClient, ORDER_UPDATED, { customerId: customer });
    const others = subscribe(othersClient, ORDER_UPDATED, { customerId: theirs.customerId });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const placed = await stack.query(`mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }`, {
      input: { customerId: customer, lines: [{ sku: 'SKU-0001', quantity: 1 }], idempotencyKey: `subscriptions-${Date.now()}`, paymentMethod: 'pm_card_visa' },
    });
    const answeredAt = Date.now();
    const order = (placed.data as { placeOrder: { id: string; status: string } }).placeOrder;
    expect(order.status).toBe('CONFIRMED');
    const payments = subscribe(mineClient, `subscription { paymentUpdated(orderId: "${order.id}") { status } }`, {}, { lastEventId: '0' });
    await eventually(() => orders.received.results.some((result) => (result.data?.orderUpdated as { id: string }).id === order.id), 1_000);
    expect(Date.now() - answeredAt).toBeLessThan(1_000);
    await eventually(() => payments.received.results.some((result) => (result.data?.paymentUpdated as { status: string }).status === 'PAID'), 1_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(others.received.results).toEqual([]);
    orders.stop();
    others.stop();
    payments.stop();
    await mineClient.dispose();
    await othersClient.dispose();
  });

  it('ends a stream when its token expires: graphql-ws closes with 4401, SSE sends TOKEN_EXPIRED', async () => {
    const shortLived = await stack.token({ role: 'agent', sub: 'agent-9', scopes: 'customers:read orders:read', ttlSeconds: 2 });
    const client = wsClient(stack.gatewayUrl, { authorization: `Bearer ${shortLived}` });
    const ws = subscribe(client, ORDER_UPDATED, { customerId: mine.customerId });
    const sse = await sseSubscribe(stack.gatewayUrl, ORDER_UPDATED, { customerId: mine.customerId }, { authorization: `Bearer ${shortLived}` });
    await eventually(() => ws.received.completed && sse.ended(), 8_000);
    expect((ws.received.error as { code: number; reason: string }).code).toBe(4401);
    expect(sse.results.at(-1)?.errors?.[0]).toMatchObject({ extensions: { code: 'TOKEN_EXPIRED' } });
    await client.dispose();
  });

  it('refuses a subscription over the per-client limit with TOO_MANY_SUBSCRIPTIONS', async () => {
    const gateway = await stack.startGateway({ SUBSCRIPTIONS_PER_CLIENT: '2' });
    const agent = { authorization: `Bearer ${await stack.token({ role: 'agent', sub: 'agent-8', scopes: 'customers:read orders:read' })}` };
    const sse = await sseSubscribe(gateway.url, ORDER_UPDATED, { customerId: mine.customerId }, agent);
    const client = wsClient(gateway.url, agent);
    subscribe(client, ORDER_UPDATED, { customerId: mine.customerId });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const third = await sseSubscribe(gateway.url, ORDER_UPDATED, { customerId: mine.customerId }, agent);
    expect([third.status, third.refusal?.errors[0]?.extensions.code]).toEqual([429, 'TOO_MANY_SUBSCRIPTIONS']);
    // Each transport gives the place back when its client goes away.
    sse.close();
    await client.dispose();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const again = [
      await sseSubscribe(gateway.url, ORDER_UPDATED, { customerId: mine.customerId }, agent),
      await sseSubscribe(gateway.url, ORDER_UPDATED, { customerId: mine.customerId }, agent),
    ];
    expect(again.map((stream) => stream.status)).toEqual([200, 200]);
    for (const stream of again) stream.close();
  });

  it('without its event log, a gateway still answers queries and refuses subscriptions with 503 NOT_READY', async () => {
    const gateway = await stack.startGateway({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/absent' });
    const agent = { authorization: `Bearer ${await stack.token({ role: 'agent', sub: 'agent-6', scopes: 'customers:read orders:read' })}` };
    const query = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...agent },
      body: JSON.stringify({ query: '{ order(id: "ord-1") { id } }' }),
    });
    expect(query.status).toBe(200);
    const refused = await sseSubscribe(gateway.url, ORDER_UPDATED, { customerId: mine.customerId }, agent);
    expect([refused.status, refused.refusal?.errors[0]?.extensions.code]).toEqual([503, 'NOT_READY']);
  });
});
