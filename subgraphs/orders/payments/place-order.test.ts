import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DBOS } from '@dbos-inc/dbos-sdk';
import Stripe from 'stripe';
import createErpServer from '../../../legacy/erp/server';
import { adminIntents } from '../../../legacy/payments/admin-view';
import createPaymentsServer from '../../../legacy/payments/server';
import { EventLog } from '../../../platform/events/event-log';
import { closeServer, listen } from '../../../platform/http';
import { silentLogger } from '../../../platform/log';
import { throwawayDatabase, type ThrowawayDatabase } from '../../../scripts/throwaway-database';
import { workflowsCommand } from '../../../scripts/workflows-command';
import { describeWithDatabase } from '../../../test/support/database';
import { startBackend, type RunningBackend } from '../../../test/support/legacy';
import { asCaller, errorCodes, requestScope, runOperation } from '../../../test/support/operations';
import { eventually } from '../../../test/support/payments';
import { viewer } from '../../../test/support/viewers';
import { buildSubgraph, type Subgraph } from '../../kit/build-subgraph';
import { defaultResilience } from '../../kit/resilience';
import { ErpClient } from '../erp-client';
import { SoapClient } from '../../kit/soap-client';
import { PaymentProvider } from '../payment-provider';
import { PaymentRecords } from './records';

/** An order as ORDER_FIELDS reads it. */
interface OrderAnswer {
  id: string;
  status: string;
  total: { amount: string; currency: string };
  payment: Record<string, string | null>;
  workflow: { status: string; steps: { name: string; status: string; attempts: number; lastError: string | null }[] } | null;
}

const ORDER_FIELDS = `{
  id status total { amount currency }
  payment { status method cardBrand cardLast4 authorizedAt capturedAt refundedAt failureReason }
  workflow { status steps { name status attempts lastError } }
}`;
const PLACE = `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) ${ORDER_FIELDS} }`;
const READ = `query($id: ID!) { order(id: $id) ${ORDER_FIELDS} }`;

describeWithDatabase('placeOrder as a durable workflow, against the ERP and the payment provider', () => {
  let erp: RunningBackend;
  let payments: RunningBackend;
  let database: ThrowawayDatabase;
  let subgraph: Subgraph;
  let eventLog: EventLog;
  let dataDir: string;
  let keyNumber = 0;
  const agent = viewer('agent');
  const service = viewer('service');

  beforeAll(async () => {
    erp = await startBackend(createErpServer);
    payments = await startBackend(createPaymentsServer);
    database = await throwawayDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'atrium-orders-'));
    subgraph = buildSubgraph('orders', {
      url: `${erp.url}/erp`,
      connections: 4,
      resilience: { ...defaultResilience, retries: 0, breakerMinRps: 100_000 },
      dataDir,
      log: silentLogger,
      env: {
        DATABASE_URL: database.url,
        PAYMENTS_URL: payments.url,
        WORKFLOW_STEP_ATTEMPTS: '4',
        WORKFLOW_BACKOFF_MS: '5',
        WORKFLOW_BACKOFF_MAX_MS: '20',
        PAYMENT_PENDING_DEADLINE: '1s',
        // Only the workflows' own events in the log.
        ERP_FEED_POLL_MS: '0',
      },
    });
    await subgraph.start();
    eventLog = await EventLog.open(database.url, silentLogger);
    soap = new SoapClient({ backend: 'ERP', endpoint: `${erp.url}/erp`, connections: 1, resilience: defaultResilience, log: silentLogger });
  }, 60_000);

  afterAll(async () => {
    await soap?.close();
    await eventLog?.close();
    await subgraph?.close();
    await database?.drop();
    await erp?.stop();
    await payments?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    await erp.restore();
    await payments.restore();
  });

  const run = (query: string, variables: Record<string, unknown>, caller = service) =>
    runOperation(subgraph.server, asCaller(subgraph.backends(requestScope()), caller), query, variables);
  const newKey = () => `key-${Date.now()}-${++keyNumber}`;
  const order = (change: Record<string, unknown> = {}) => ({
    customerId: 'cust-7',
    idempotencyKey: newKey(),
    lines: [{ sku: 'SKU-0001', quantity: 2 }],
    paymentMethod: 'pm_card_visa',
    ...change,
  });
  const intents = () => adminIntents(payments.url);
  const intentsOf = async (orderId: string) => (await intents()).filter((intent) => intent.metadata.order_id === orderId);
  let soap: SoapClient;
  const erpOrder = (id: string) => new ErpClient(soap).order(id);
  const placed = (result: Awaited<ReturnType<typeof run>>) => result.data?.placeOrder as OrderAnswer;
  /** What the event log announced of an order: each event's type, status and customer, in log order. */
  const announced = async (orderId: string) =>
    (await eventLog.after(undefined, { limit: 100_000 }))
      .filter((event) => event.key === orderId)
      .map((event) => ({ type: event.type, status: event.attributes.status, customerId: event.customerId, orderId: event.attributes.orderId }));
  const announcement = (type: string, status: string, orderId: string) => ({ type, status, customerId: 'cust-7', orderId });
  /** Placed by a service (agents do not place orders), then read back as an agent sees it. */
  const placeAndRead = async (input: Record<string, unknown>) => {
    const { id } = placed(await run(PLACE, { input }));
    return (await run(READ, { id }, agent)).data?.order as OrderAnswer;
  };

  it('books, authorizes, confirms and captures a card order once, and shows each step to agents', async () => {
    const answer = await placeAndRead(order());
    expect(answer).toMatchObject({
      status: 'CONFIRMED',
      payment: { status: 'PAID', method: 'CARD', cardBrand: 'VISA', cardLast4: '4242', failureReason: null },
    });
    expect(answer.payment.authorizedAt).toMatch(/^\d{4}-/);
    expect(answer.payment.capturedAt).toMatch(/^\d{4}-/);
    expect(answer.workflow).toEqual({
      status: 'CONFIRMED',
      steps: ['createOrder', 'authorize', 'confirmOrder', 'capture', 'publish'].map((name) => ({ name, status: 'DONE', attempts: 1, lastError: null })),
    });
    const [intent, ...more] = await intentsOf(answer.id);
    expect(more).toEqual([]);
    const cents = Math.round(Number(answer.total.amount) * 100);
    expect(intent).toMatchObject({ status: 'succeeded', amount: cents, amount_received: cents });
    expect((await erpOrder(answer.id))?.status).toBe('CONFIRMED');
  });

  it('announces a card order in the event log once: its payment authorized, then the order CONFIRMED and its payment PAID', async () => {
    const input = order();
    const { id } = placed(await run(PLACE, { input }));
    const expected = [
      announcement('payment.updated', 'AUTHORIZED', id),
      announcement('order.updated', 'CONFIRMED', id),
      announcement('payment.updated', 'PAID', id),
    ];
    expect(await announced(id)).toEqual(expected);
    placed(await run(PLACE, { input }));
    expect(await announced(id)).toEqual(expected);
  });

  it('announces a declined card as PAYMENT_FAILED and FAILED, and an invoice order as PLACED and PENDING', async () => {
    const declined = await run(PLACE, { input: order({ paymentMethod: 'pm_card_chargeDeclinedInsufficientFunds' }) });
    const failedId = (declined.errors?.[0]?.extensions as { orderId: string }).orderId;
    expect(await announced(failedId)).toEqual([announcement('order.updated', 'PAYMENT_FAILED', failedId), announcement('payment.updated', 'FAILED', failedId)]);
    const { id } = placed(await run(PLACE, { input: order({ paymentMethod: null }) }));
    expect(await announced(id)).toEqual([announcement('order.updated', 'PLACED', id), announcement('payment.updated', 'PENDING', id)]);
  });

  it('answers a retry with the same key with the same order, booking and charging nothing more', async () => {
    const input = order();
    const first = placed(await run(PLACE, { input }));
    await erp.resetStats();
    await payments.resetStats();
    const again = placed(await run(PLACE, { input }));
    expect(again.id).toBe(first.id);
    expect((await erp.stats()).calls.PlaceOrder).toBeUndefined();
    expect((await payments.stats()).calls).toEqual({});
    expect(await intentsOf(first.id)).toHaveLength(1);
  });

  it('refuses the same key for another order with IDEMPOTENCY_KEY_REUSED, booking nothing', async () => {
    const input = order();
    await run(PLACE, { input });
    await erp.resetStats();
    const other = await run(PLACE, { input: { ...input, lines: [{ sku: 'SKU-0002', quantity: 1 }] } });
    expect(errorCodes(other)).toEqual(['IDEMPOTENCY_KEY_REUSED']);
    expect((await erp.stats()).total).toBe(0);
  });

  it('fails a declined card at once with PAYMENT_DECLINED, charges nothing and closes the order as PAYMENT_FAILED', async () => {
    const result = await run(PLACE, { input: order({ paymentMethod: 'pm_card_chargeDeclinedInsufficientFunds' }) });
    expect(errorCodes(result)).toEqual(['PAYMENT_DECLINED']);
    const extensions = result.errors?.[0]?.extensions as { declineCode: string; orderId: string };
    expect(extensions.declineCode).toBe('insufficient_funds');
    expect((await erpOrder(extensions.orderId))?.status).toBe('PAYMENT_FAILED');
    expect((await intentsOf(extensions.orderId)).every((intent) => intent.amount_received === 0)).toBe(true);
    const workflow = await run(
      'query($id: ID!) { order(id: $id) { payment { status failureReason } workflow { status } } }',
      { id: extensions.orderId },
      agent,
    );
    expect(workflow.data?.order).toEqual({
      payment: { status: 'FAILED', failureReason: 'card declined (insufficient_funds)' },
      workflow: { status: 'PAYMENT_FAILED' },
    });
  });

  it.each([
    ['an unknown payment method', { paymentMethod: 'pm_card_unheardOf' }, 'input.paymentMethod'],
    ['a card number instead of a token', { paymentMethod: '4242424242424242' }, 'input.paymentMethod'],
    ['an expected total the ERP does not agree with', { expectedTotal: '0.01' }, 'input.expectedTotal'],
  ])('refuses %s with BAD_USER_INPUT, booking and charging nothing', async (_case, change, argumentName) => {
    const before = (await intents()).length;
    const result = await run(PLACE, { input: order(change) });
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors?.[0]?.extensions?.argumentName).toBe(argumentName);
    expect((await erp.stats()).calls.PlaceOrder ?? 0).toBeLessThanOrEqual(1);
    expect(JSON.stringify(result.errors)).not.toContain('4242424242424242');
    expect((await intents()).length).toBe(before);
  });

  it('places an invoice order without the payment provider', async () => {
    const answer = placed(await run(PLACE, { input: order({ paymentMethod: null }) }));
    expect(answer).toMatchObject({ status: 'PLACED', payment: { method: 'INVOICE', status: 'PENDING' } });
    expect((await payments.stats()).total).toBe(0);
  });

  it('retries a rate-limited authorization and honours its Retry-After, then completes', async () => {
    const answer = await placeAndRead(order({ paymentMethod: 'pm_card_atrium_rateLimitedOnce' }));
    expect(answer.status).toBe('CONFIRMED');
    expect(answer.workflow?.steps.find((step) => step.name === 'authorize')).toMatchObject({ status: 'DONE', attempts: 2 });
  });

  it('refuses a card order with BACKEND_UNAVAILABLE while the payment provider is down, booking nothing', async () => {
    await payments.setFaults({ errorRate: 1 });
    const result = await run(PLACE, { input: order() });
    expect(errorCodes(result)).toEqual(['BACKEND_UNAVAILABLE']);
    expect((await erp.stats()).total).toBe(0);
  });

  it('compensates when the payment provider goes down mid-workflow: the order is closed, the reason and attempts shown', async () => {
    // The payment method is checked before the workflow starts; the provider fails from the moment it was.
    await erp.setFaults({ latencyMs: 300 });
    const pending = run(PLACE, { input: order() });
    await eventually(async () => ((await payments.stats()).calls.retrievePaymentMethod ?? 0) > 0);
    await payments.setFaults({ errorRate: 1 });
    const { id } = placed(await pending);
    await erp.setFaults({ latencyMs: 0 });
    const answer = (await run(READ, { id }, agent)).data?.order as OrderAnswer;
    expect(answer.status).toBe('PAYMENT_FAILED');
    expect(answer.payment.failureReason).toMatch(/after 4 attempts/);
    expect(answer.workflow?.steps.find((step) => step.name === 'authorize')).toMatchObject({ status: 'FAILED', attempts: 4 });
    expect((await erpOrder(answer.id))?.status).toBe('PAYMENT_FAILED');
  });

  it('hides the workflow from customers and card data from everyone', async () => {
    const customer = viewer('customer', 'cust-7');
    const result = await run(PLACE, { input: order() }, customer);
    expect(errorCodes(result)).toEqual(['FORBIDDEN']);
    expect(placed(result)).toMatchObject({ status: 'CONFIRMED', workflow: null });
  });

  describe('npm run workflows, on the same database', () => {
    const workflows = (...args: string[]) => workflowsCommand(args, database.url);

    it("lists and shows an order's workflow with its steps, and refuses to retry one that is not stuck", async () => {
      const { id } = placed(await run(PLACE, { input: order() }));
      const list = await workflows('list', '--limit', '500');
      expect(list.code).toBe(0);
      expect(list.stdout).toMatch(new RegExp(`^${id}\tCONFIRMED\tPAID\t`, 'm'));
      const shown = await workflows('show', id);
      expect(shown.stdout).toContain(`order ${id}`);
      expect(shown.stdout).toMatch(/capture\tDONE\t1 attempt\(s\)/);
      expect(shown.stdout).not.toMatch(/4242424242424242|sk_test/);
      expect((await workflows('retry', id)).stderr).toMatch(/only a stuck one is retried/);
    });

    it('cancels a confirmed order durably: the capture refunded, the ERP order cancelled, the payment shown refunded', async () => {
      const { id } = placed(await run(PLACE, { input: order() }));
      const cancelled = await workflows('cancel', id, '--reason', 'customer called');
      expect(cancelled.stdout).toContain('"refunded":true');
      expect((await erpOrder(id))?.status).toBe('CANCELLED');
      const [intent] = await intentsOf(id);
      expect(intent?.refunds).toHaveLength(1);
      const read = (await run(READ, { id }, agent)).data?.order as OrderAnswer;
      expect(read.payment).toMatchObject({ status: 'REFUNDED', failureReason: 'customer called' });
      expect(read.workflow?.status).toBe('CANCELLED');
      expect((await announced(id)).slice(-2)).toEqual([announcement('order.updated', 'CANCELLED', id), announcement('payment.updated', 'REFUNDED', id)]);
    });

    it.each([
      [['bogus'], /unknown command bogus/],
      [['show'], /an order id is required/],
      [['show', 'ord-0'], /no payment workflow placed order ord-0/],
      [['list', '--limit', 'lots'], /--limit must be a whole number/],
    ])('refuses %j with exit code 2 and the usage', async (args, message) => {
      const answer = await workflows(...args);
      expect(answer.code).toBe(2);
      expect(answer.stderr).toMatch(message);
      expect(answer.stderr).toContain('usage:');
    });
  });

  describe('the payment webhook receiver (POST /webhooks/payments)', () => {
    let receiver: Server;
    let url: string;
    beforeAll(async () => {
      // The subgraph answers its webhook before any GraphQL handling, as serveSubgraph wires it.
      receiver = createServer((req, res) => void subgraph.intercept(req, res).then((handled) => handled || res.writeHead(404).end()));
      url = `${await listen(receiver, 0, '127.0.0.1')}/webhooks/payments`;
    });
    afterAll(() => closeServer(receiver));

    const event = (id: string) =>
      JSON.stringify({
        id,
        object: 'event',
        type: 'payment_intent.created',
        created: Math.floor(Date.now() / 1000),
        data: { object: { id: 'pi_x', metadata: {} } },
      });
    const post = (body: string, signature?: string) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(signature ? { 'stripe-signature': signature } : {}) }, body });
    const signed = (body: string, timestamp?: number) =>
      Stripe.webhooks.generateTestHeaderString({ payload: body, secret: 'whsec_atrium_development', timestamp });

    it('takes a signed event once, and refuses it replayed with 409', async () => {
      const body = event(`evt_${newKey()}`);
      expect((await post(body, signed(body))).status).toBe(200);
      const replayed = await post(body, signed(body));
      expect(replayed.status).toBe(409);
      expect(await replayed.json()).toMatchObject({ error: 'replayed' });
    });

    it.each<[string, (body: string) => [string, string | undefined]]>([
      ['a tampered body', (body: string) => [body.replace('payment_intent.created', 'charge.refunded'), signed(body)]],
      ['a stale signature', (body: string) => [body, signed(body, Math.floor(Date.now() / 1000) - 600)]],
      ['no signature', (body: string) => [body, undefined]],
      ['another secret', (body: string) => [body, Stripe.webhooks.generateTestHeaderString({ payload: body, secret: 'whsec_someone_else' })]],
    ])('refuses %s with 400 invalid_signature and records nothing', async (_case, make) => {
      const body = event(`evt_${newKey()}`);
      const [sent, signature] = make(body);
      const answer = await post(sent, signature);
      expect(answer.status).toBe(400);
      expect(await answer.json()).toMatchObject({ error: 'invalid_signature' });
      // Not recorded: the genuine event is still taken afterwards.
      expect((await post(body, signed(body))).status).toBe(200);
    });
  });

  describe('reconciliation', () => {
    const provider = () => new PaymentProvider({ url: payments.url, apiKey: 'sk_test_atrium', timeoutMs: 5_000, webhookSecret: 'whsec_atrium_development' });
    const reconcile = async () => {
      const handle = await DBOS.triggerSchedule('reconcile-payments');
      await handle.getResult();
    };
    /** An order and an intent as a crash between steps would leave them, with no workflow at work on them. */
    const leftBehind = async (confirm: boolean) => {
      const reference = `order-left-${newKey()}`;
      const client = new ErpClient(soap);
      const booked = await client.placeOrder({
        customerId: 'cust-8',
        lines: [{ sku: 'SKU-0003', quantity: 1 }],
        idempotencyKey: reference,
        paymentMethod: 'CARD',
      });
      const intent = await provider().authorize({
        amountCents: Math.round(Number(booked.total.amount) * 100),
        currency: booked.total.currency.toLowerCase(),
        paymentMethod: 'pm_card_visa',
        orderId: booked.id,
        workflowId: reference,
        idempotencyKey: `${reference}:authorize`,
      });
      if (confirm) await client.confirmOrder(booked.id, intent.id);
      return { orderId: booked.id, intentId: intent.id, reference, client };
    };

    it('captures an authorization left behind for a confirmed order, with the workflow key (no double capture)', async () => {
      const left = await leftBehind(true);
      await reconcile();
      const [intent] = await intentsOf(left.orderId);
      expect(intent).toMatchObject({ status: 'succeeded', amount_received: intent?.amount });
      await reconcile();
      expect((await intentsOf(left.orderId))[0]?.amount_received).toBe(intent?.amount);
    });

    it('announces the payment of a repaired order where its record now stands, once', async () => {
      const left = await leftBehind(true);
      // The workflow's record, as a crash after the ERP confirmed the order would leave it.
      const records = await PaymentRecords.open(database.url, silentLogger);
      try {
        await records.begin({ workflowId: left.reference, customerId: 'cust-8', method: 'CARD' });
        await records.change(left.reference, { orderId: left.orderId, status: 'AUTHORIZED', intentId: left.intentId });
      } finally {
        await records.close();
      }
      await reconcile();
      await reconcile();
      expect(await announced(left.orderId)).toEqual([{ type: 'payment.updated', status: 'PAID', customerId: 'cust-8', orderId: left.orderId }]);
    });

    it('releases an authorization for a cancelled order, and refunds a capture the ERP cancelled', async () => {
      const released = await leftBehind(true);
      await released.client.cancelOrder(released.orderId, 'CANCELLED', 'customer changed their mind');
      const refunded = await leftBehind(true);
      await provider().capture(refunded.intentId, `${refunded.reference}:capture`);
      await refunded.client.cancelOrder(refunded.orderId, 'CANCELLED', 'out of stock');
      await reconcile();
      expect((await intentsOf(released.orderId))[0]?.status).toBe('canceled');
      const [charged] = await intentsOf(refunded.orderId);
      expect(charged?.refunds.reduce((sum, refund) => sum + refund.amount, 0)).toBe(charged?.amount_received);
    });

    it('compensates an order left waiting for its payment past the deadline', async () => {
      const left = await leftBehind(false);
      await eventually(async () => Date.now() - Date.parse((await erpOrder(left.orderId))?.placedAt ?? '') > 1_500, 5_000);
      await reconcile();
      expect((await erpOrder(left.orderId))?.status).toBe('CANCELLED');
      expect((await intentsOf(left.orderId))[0]?.status).toBe('canceled');
    });
  });
});
