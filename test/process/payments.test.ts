import { adminIntents } from '../../legacy/payments/admin-view';
import { EventLog } from '../../platform/events/event-log';
import { silentLogger } from '../../platform/log';
import { customerToken, Traffic, type OrderRequest } from '../../scripts/chaos/idempotency';
import { startProcessStack, type ProcessStack } from '../../scripts/process-stack';
import { describeWithDatabase } from '../support/database';

jest.setTimeout(300_000);

/** The steps of a card order, in the order the workflow runs them. */
const STEPS = ['createOrder', 'authorize', 'confirmOrder', 'capture', 'publish'] as const;

const ORDER_STATE = `query($id: ID!) { order(id: $id) { status payment { status } workflow { status steps { name status } } } }`;

/** Built services as real processes (`npm run build` first), killed with SIGKILL at the workflow's fault points. */
describeWithDatabase('payment workflows out of process: SIGKILL after any step, then a restart', () => {
  let stack: ProcessStack;
  let eventLog: EventLog;
  let traffic: Traffic;
  let customer: string;
  let agent: string;
  let keyNumber = 0;

  const signIn = async () => {
    customer = await customerToken(stack, 'cust-5');
    agent = await stack.token({ sub: 'agent-1', role: 'agent', scopes: 'orders:read pii:read' });
  };
  beforeAll(async () => {
    stack = await startProcessStack({ serviceEnv: { orders: { WORKFLOW_BACKOFF_MS: '20', WORKFLOW_BACKOFF_MAX_MS: '200' } } });
    eventLog = await EventLog.open(stack.databaseUrl, silentLogger);
    traffic = new Traffic(stack);
    await signIn();
  });
  afterAll(async () => {
    await eventLog?.close();
    await stack?.stop();
  });

  const cardOrder = (): OrderRequest => ({
    customerId: 'cust-5',
    idempotencyKey: `crash-${Date.now()}-${++keyNumber}`,
    lines: [{ sku: 'SKU-0004', quantity: 1 }],
    paymentMethod: 'pm_card_visa',
  });
  /** One attempt, as a client whose connection broke would have made it: its answer is not looked at. */
  const sendOnce = (input: OrderRequest) =>
    fetch(stack.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${customer}` },
      body: JSON.stringify({ query: 'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }', variables: { input } }),
      signal: AbortSignal.timeout(30_000),
    }).catch(() => undefined);
  const intentsOf = async (orderId: string) =>
    (await adminIntents(stack.backendUrls.payments as string)).filter((intent) => intent.metadata.order_id === orderId);
  const stateOf = async (orderId: string) => {
    const response = await fetch(stack.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${agent}` },
      body: JSON.stringify({ query: ORDER_STATE, variables: { id: orderId } }),
    });
    return ((await response.json()) as { data?: { order: unknown } }).data?.order;
  };
  /** What the event log announced of an order: each event's type and status, in log order. */
  const announced = async (orderId: string) =>
    (await eventLog.after(undefined, { limit: 100_000 })).filter((event) => event.key === orderId).map((event) => `${event.type} ${event.attributes.status}`);
  /**
   * What must hold whatever happened: one order, confirmed, one intent captured once for its amount, nothing refunded,
   * and the authorization and the outcome announced once each.
   */
  const expectPlacedOnce = async (outcome: Awaited<ReturnType<Traffic['placeOrder']>>) => {
    expect(outcome).toEqual({ orderId: expect.any(String) });
    const orderId = (outcome as { orderId: string }).orderId;
    expect(await stateOf(orderId)).toEqual({
      status: 'CONFIRMED',
      payment: { status: 'PAID' },
      workflow: { status: 'CONFIRMED', steps: STEPS.map((name) => ({ name, status: 'DONE' })) },
    });
    const intents = await intentsOf(orderId);
    expect(intents).toHaveLength(1);
    expect(intents[0]).toMatchObject({ status: 'succeeded', amount_received: intents[0]?.amount, refunds: [] });
    expect(await announced(orderId)).toEqual(['payment.updated AUTHORIZED', 'order.updated CONFIRMED', 'payment.updated PAID']);
  };

  it.each(STEPS)('the orders subgraph killed right after %s: on restart the workflow finishes, once', async (step) => {
    const orders = stack.services.orders!;
    await orders.stop();
    await orders.restart({ WORKFLOW_FAULT_POINT: `after:${step}` });
    const input = cardOrder();
    await sendOnce(input);
    expect(await orders.exited()).toEqual({ code: null, signal: 'SIGKILL' });
    await orders.restart();
    // The client retries with the same key; DBOS recovered the workflow when the subgraph started again.
    await expectPlacedOnce(await traffic.placeOrder(customer, input));
  });

  it.each(STEPS)('every service killed right after %s: the restarted stack finishes the workflow, once', async (step) => {
    const orders = stack.services.orders!;
    await orders.stop();
    await orders.restart({ WORKFLOW_FAULT_POINT: `after:${step}` });
    const input = cardOrder();
    await sendOnce(input);
    await orders.exited();
    const others = Object.values(stack.services).filter((service) => service !== orders);
    for (const service of others) service.signal('SIGKILL');
    await Promise.all(others.map((service) => service.exited()));
    // Issuer and stand-ins first, then the subgraphs, then the gateway: as npm start orders them.
    const order = ['identity-provider', ...Object.keys(stack.backendUrls), 'customers', 'orders', 'preferences', 'support-tickets', 'gateway'];
    for (const name of order) await stack.services[name]!.restart();
    await signIn();
    await expectPlacedOnce(await traffic.placeOrder(customer, input));
  });
});
