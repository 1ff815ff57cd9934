import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { adminIntents } from '../../legacy/payments/admin-view';
import type { Identity } from '../../platform/identity';
import { silentLogger } from '../../platform/log';
import { openStore } from '../../platform/store';
import { postGraphQL, type ClientAnswer } from '../../scripts/chaos/clients';
import { customerToken, erpOrderIds } from '../../scripts/chaos/idempotency';
import { startProcessStack, type ProcessStack } from '../../scripts/process-stack';
import { describeWithDatabase } from '../support/database';
import { eventually } from '../support/payments';
import { describeWithRedis, redisUrl } from '../support/redis';
import { subscribe, wsClient } from '../support/subscriptions';

jest.setTimeout(60_000);

/** In every subject, key and query text a run sends, so what earlier runs left in Redis cannot answer for this one. */
const RUN = randomUUID().slice(0, 8);
/** The gateways' plan: a fixed window of 6 points per 6 s (burst / rate), small enough to spend in one test. */
const BURST = 6;
const SUBGRAPH_REPLICAS = ['customers', 'orders', 'preferences', 'support-tickets'].flatMap((name) => [name, `${name}-2`]);
/** A customer picked at random, never one of the fixed reads here (cust-1 to cust-3); the CRM seeds cust-1 to cust-1000. */
const unusedCustomer = () => `cust-${500 + Math.floor(Math.random() * 500)}`;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const codesOf = (answer: Pick<ClientAnswer, 'errors'>) => (answer.errors ?? []).map((error) => error.extensions?.code);
const customerOf = (answer: Pick<ClientAnswer, 'data'>) => answer.data?.customer;

/** Drops what an earlier run may have left under `key` in a Redis store the services share. */
async function forget(namespace: string, key: string): Promise<void> {
  const store = openStore(namespace, { redisUrl, log: silentLogger });
  await store.delete(key);
  await store.disconnect();
}

/** Built services as real processes (`npm run build` first): two gateways, two replicas of every subgraph, HAProxy in front. */
describeWithDatabase('replicas', () => {
  describeWithRedis('state shared by the replicas of each service through Redis and PostgreSQL', () => {
    let stack: ProcessStack;
    const [gateway1, gateway2] = [() => stack.gatewayUrls[0] as string, () => stack.gatewayUrls[1] as string];
    const graphqlOf = (replica: string) => `${stack.services[replica]?.base}/graphql`;
    /** A token the gateways would sign for `subgraph`: for calling its replicas one by one. */
    const direct = async (identity: Omit<Identity, 'clientId' | 'via'>, subgraph: string) =>
      bearer(await stack.internalToken({ ...identity, clientId: 'atrium-processes', via: 'oauth' }, subgraph));

    beforeAll(async () => {
      stack = await startProcessStack({
        gateways: 2,
        replicas: 2,
        loadBalancer: true,
        events: true,
        env: { REDIS_URL: redisUrl, RATE_LIMIT_RATE: '1', RATE_LIMIT_BURST: String(BURST), RESPONSE_CACHE: 'on' },
        // Every subgraph operation logged, to see which replica served what; customers keep entities fresh.
        serviceEnv: Object.fromEntries(
          SUBGRAPH_REPLICAS.map((name) => [name, { LOG_LEVEL: 'debug', ...(name.startsWith('customers') ? { ENTITY_CACHE: 'on' } : {}) }]),
        ),
      });
    }, 120_000);
    afterAll(() => stack?.stop(), 60_000);

    it('counts one client against one allowance: alternating gateways, exactly the burst passes, then RATE_LIMITED on both', async () => {
      const headers = bearer(await stack.token({ sub: `limited-${RUN}`, role: 'service', scopes: 'customers:read' }));
      const answers: { gateway: number; status: number; code?: unknown }[] = [];
      for (let request = 0; request < BURST + 4; request += 1) {
        const gateway = request % 2;
        const answer = await postGraphQL(stack.gatewayUrls[gateway] as string, headers, '{ customer(id: "cust-1") { id } }');
        answers.push({ gateway, status: answer.status, ...(answer.status === 200 ? {} : { code: codesOf(answer)[0] }) });
      }
      expect(answers.slice(0, BURST).map((answer) => answer.status)).toEqual(Array(BURST).fill(200));
      expect(answers.slice(BURST)).toEqual([0, 1, 0, 1].map((gateway) => ({ gateway, status: 429, code: 'RATE_LIMITED' })));
    });

    it('serves by hash on gateway 2 a query registered on gateway 1 (APQ)', async () => {
      const headers = bearer(await stack.token({ sub: `apq-${RUN}`, role: 'service', scopes: 'customers:read' }));
      const query = `query Registered_${RUN.replace(/-/g, '')} { customer(id: "cust-2") { id } }`;
      const byHash = (url: string, body: Record<string, unknown>) =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ ...body, extensions: { persistedQuery: { version: 1, sha256Hash: sha256(query) } } }),
        }).then(async (response) => ({ status: response.status, ...((await response.json()) as Omit<ClientAnswer, 'status' | 'ms'>) }));
      // Unknown to both before: what gateway 2 serves later, it learnt from gateway 1.
      expect(codesOf(await byHash(gateway2(), {}))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
      expect(await byHash(gateway1(), { query })).toMatchObject({ status: 200, data: { customer: { id: 'cust-2' } } });
      await sleep(100);
      const served = await byHash(gateway2(), {});
      expect(served.errors).toBeUndefined();
      expect(served.data).toEqual({ customer: { id: 'cust-2' } });
    });

    it('answers on gateway 2 from the response cache what gateway 1 computed, with no backend call', async () => {
      const customerId = unusedCustomer();
      const headers = bearer(await stack.token({ sub: customerId, role: 'customer', scopes: 'customers:read preferences:read' }));
      // Preferences have no entity cache: a miss on gateway 2 would reach the preference service.
      const body = JSON.stringify({ query: `{ customer(id: "${customerId}") { id name preferences { language } } } # ${RUN}` });
      const send = (url: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      const first = await send(gateway1());
      expect(first.headers.get('x-cache')).toBe('miss');
      const computed = (await first.json()) as ClientAnswer;
      expect(computed.errors).toBeUndefined();
      await sleep(100);
      await stack.resetCalls();
      const second = await send(gateway2());
      expect(second.headers.get('x-cache')).toBe('hit');
      expect(((await second.json()) as ClientAnswer).data).toEqual(computed.data);
      expect((await stack.calls('crm')).total).toBe(0);
      expect((await stack.calls('preference-service')).total).toBe(0);
    });

    it('reads a customer on customers replica 1, then on replica 2, for one CRM call (entity cache)', async () => {
      const customerId = unusedCustomer();
      await forget('customers-entities', customerId);
      const headers = await direct({ subject: `entities-${RUN}`, role: 'service', scopes: ['customers:read'] }, 'customers');
      const read = (replica: string) => postGraphQL(graphqlOf(replica), headers, 'query($id: ID!) { customer(id: $id) { id name } }', { id: customerId });
      await stack.resetCalls();
      const first = await read('customers');
      expect(customerOf(first)).toEqual({ id: customerId, name: expect.any(String) });
      expect((await stack.calls('crm')).total).toBe(1);
      await sleep(100);
      const second = await read('customers-2');
      expect(customerOf(second)).toEqual(customerOf(first));
      expect((await stack.calls('crm')).total).toBe(1);
    });

    it('opens one helpdesk ticket for one idempotency key, sent to support-tickets replica 1 then replica 2', async () => {
      const customerId = unusedCustomer();
      const headers = await direct({ subject: customerId, role: 'customer', scopes: ['tickets:read', 'tickets:write'] }, 'support-tickets');
      const input = { customerId, subject: `Parcel missing (${RUN})`, idempotencyKey: `ticket-${RUN}` };
      const open = (replica: string) =>
        postGraphQL(graphqlOf(replica), headers, 'mutation($input: OpenSupportTicketInput!) { openSupportTicket(input: $input) { id subject } }', { input });
      await stack.resetCalls();
      const first = await open('support-tickets');
      expect(first.errors).toBeUndefined();
      expect(first.data?.openSupportTicket).toEqual({ id: expect.any(String), subject: input.subject });
      const again = await open('support-tickets-2');
      expect(again.errors).toBeUndefined();
      expect(again.data?.openSupportTicket).toEqual(first.data?.openSupportTicket);
      expect((await stack.calls('helpdesk')).calls.OpenTicket).toBe(1);
    });

    it('places one order for one key sent to orders replica 1 then replica 2: one ERP order, one captured intent', async () => {
      const customerId = unusedCustomer();
      const before = await erpOrderIds(stack, customerId);
      const headers = await direct({ subject: customerId, role: 'customer', scopes: ['orders:read', 'orders:write'] }, 'orders');
      const input = { customerId, idempotencyKey: `order-${RUN}`, lines: [{ sku: 'SKU-0003', quantity: 1 }], paymentMethod: 'pm_card_visa' };
      const place = (replica: string) =>
        postGraphQL(graphqlOf(replica), headers, 'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }', { input });
      const first = await place('orders');
      expect(first.errors).toBeUndefined();
      const orderId = (first.data?.placeOrder as { id: string }).id;
      const again = await place('orders-2');
      expect(again.errors).toBeUndefined();
      expect((again.data?.placeOrder as { id: string }).id).toBe(orderId);
      expect([...(await erpOrderIds(stack, customerId))].filter((id) => !before.has(id))).toEqual([orderId]);
      // The workflow that booked it, as replica 2 reads it from the workflows' database.
      const staff = await direct({ subject: `workflows-${RUN}`, role: 'service', scopes: ['orders:read'] }, 'orders');
      const workflow = await postGraphQL(graphqlOf('orders-2'), staff, 'query($id: ID!) { order(id: $id) { workflow { status steps { name status } } } }', {
        id: orderId,
      });
      expect(workflow.data?.order).toEqual({
        workflow: { status: 'CONFIRMED', steps: ['createOrder', 'authorize', 'confirmOrder', 'capture', 'publish'].map((name) => ({ name, status: 'DONE' })) },
      });
      const intents = (await adminIntents(stack.backendUrls.payments as string)).filter((intent) => intent.metadata.order_id === orderId);
      expect(intents).toHaveLength(1);
      expect(intents[0]).toMatchObject({ status: 'succeeded', amount_received: intents[0]?.amount });
    });

    it('signs with one key: both gateways publish the same JWKS, and every subgraph replica accepts what gateway 2 signs', async () => {
      const jwks = await Promise.all(stack.gatewayUrls.map(async (url) => (await fetch(new URL('/.well-known/jwks.json', url))).json()));
      expect((jwks[0] as { keys: unknown[] }).keys).not.toHaveLength(0);
      expect(jwks[1]).toEqual(jwks[0]);

      const headers = bearer(await stack.token({ sub: `signed-${RUN}`, role: 'service', scopes: 'customers:read orders:read preferences:read tickets:read' }));
      const operation = `Signed${RUN.replace(/-/g, '')}`;
      const served = () =>
        new Set(
          stack
            .logs()
            .filter((line) => line.msg === 'subgraph operation' && line.text.includes(operation))
            .map((line) => line.service),
        );
      // HAProxy spreads gateway 2's fetches over the replicas; each request's own text keeps the response cache out of it.
      for (let request = 0; request < 16 && served().size < SUBGRAPH_REPLICAS.length; request += 1) {
        const answer = await postGraphQL(
          gateway2(),
          headers,
          `query ${operation} { customer(id: "cust-3") { id orders(first: 1) { id } preferences { language } supportTickets { id } } } # ${request}`,
        );
        expect(answer.errors).toBeUndefined();
        // A fixed window of BURST points: wait for the next one rather than be refused.
        if (request % BURST === BURST - 1) await sleep(6_000);
      }
      expect([...served()].sort()).toEqual([...SUBGRAPH_REPLICAS].sort());
    });

    it('delivers to a subscriber on gateway 2 the orderUpdated event of an order placed through gateway 1', async () => {
      const customerId = unusedCustomer();
      const token = await customerToken(stack, customerId);
      const client = wsClient(gateway2(), bearer(token));
      const { received, stop } = subscribe(client, 'subscription($customerId: ID!) { orderUpdated(customerId: $customerId) { id status } }', { customerId });
      try {
        await sleep(1_000);
        const placed = await postGraphQL(gateway1(), bearer(token), 'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }', {
          input: { customerId, idempotencyKey: `subscribed-${RUN}`, lines: [{ sku: 'SKU-0001', quantity: 1 }], paymentMethod: 'pm_card_visa' },
        });
        expect(placed.errors).toBeUndefined();
        const orderId = (placed.data?.placeOrder as { id: string }).id;
        await eventually(
          () => received.results.some((result) => (result.data?.orderUpdated as { id?: string } | undefined)?.id === orderId) || received.completed,
          20_000,
        );
        expect(received.error).toBeUndefined();
        expect(received.results.map((result) => result.data?.orderUpdated)).toContainEqual({ id: orderId, status: 'CONFIRMED' });
      } finally {
        stop();
        await client.dispose();
      }
    });

    // Last: the outage opens the circuit of the replica that saw it, and that replica stays out of rotation a while.
    it('answers on preferences replica 2, marked stale, the last good value replica 1 read before the backend went down', async () => {
      const customerId = unusedCustomer();
      await forget('preferences-last-good', customerId);
      const headers = await direct({ subject: `stale-${RUN}`, role: 'service', scopes: ['preferences:read'] }, 'preferences');
      const read = (replica: string) =>
        postGraphQL(
          graphqlOf(replica),
          headers,
          'query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Customer { preferences { language marketingOptIn } } } }',
          { representations: [{ __typename: 'Customer', id: customerId }] },
        );
      const fresh = await read('preferences');
      expect(fresh.errors).toBeUndefined();
      expect(fresh.extensions?.stale).toBeUndefined();
      await sleep(100);
      await stack.setFaults('preference-service', { down: true });
      try {
        const stale = await read('preferences-2');
        expect(stale.errors).toBeUndefined();
        expect(stale.data).toEqual(fresh.data);
        expect(stale.extensions).toEqual({ stale: { backends: ['preference service'] } });
      } finally {
        await stack.setFaults('preference-service', { down: false });
      }
    });
  });
});
