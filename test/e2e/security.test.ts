import { newApiKey, writeKeyFile, type ApiKeyRecord } from '../../gateway/auth/api-keys';
import type { RunningService } from '../../platform/run';
import { signToken, testKey } from '../support/issuer';
import type { OperationResult } from '../support/operations';
import { startStack, type Stack } from '../support/stack';
import { viewer } from '../support/viewers';

type Answer = OperationResult & { status: number; headers: Headers };

const PROFILE = '{ customer(id: "cust-1") { id name email orders(first: 1) { id payment { cardBrand cardLast4 } } } }';

describe('zero trust through the gateway', () => {
  let stack: Stack;
  const keys: ApiKeyRecord[] = [];
  beforeAll(async () => {
    // No clock tolerance here, so a token with a 1-second life expires within the test.
    stack = await startStack({ gatewayEnv: { OAUTH_CLOCK_TOLERANCE_S: '0', CORS_ORIGINS: 'https://app.example.com' } });
  });
  afterAll(() => stack?.stop());

  const send = async (url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const text = await response.text();
    return { status: response.status, headers: response.headers, ...(JSON.parse(text) as OperationResult) };
  };
  const ask = (query: string, headers: Record<string, string>) => send(stack.gatewayUrl, { query }, headers);
  const bearer = async (request: Parameters<Stack['token']>[0]) => ({ authorization: `Bearer ${await stack.token(request)}` });
  const addKey = (client: string, scopes: ApiKeyRecord['scopes'], plan = { ratePerSecond: 100, burst: 200, dailyQuota: 0 }) => {
    const { key, record } = newApiKey(client, scopes, plan);
    keys.push(record);
    writeKeyFile(stack.apiKeysFile, keys);
    return key;
  };
  /** The gateway reloads the key file within a second. */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 1_500));

  const expectUnauthenticated = async (answer: Answer, reason: RegExp) => {
    expect(answer.status).toBe(401);
    expect(answer.data).toBeUndefined();
    expect(answer.errors).toEqual([{ message: expect.stringMatching(reason), extensions: { code: 'UNAUTHENTICATED' } }]);
    expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/);
  };

  describe('authentication at the gateway', () => {
    it('refuses a request without credentials with 401, and no backend is called', async () => {
      await stack.resetCalls();
      await expectUnauthenticated(await ask(PROFILE, {}), /credentials are missing/);
      const calls = await stack.calls();
      expect(Object.values(calls).map((c) => c.total)).toEqual(Object.keys(calls).map(() => 0));
    });

    it('refuses an expired token', async () => {
      const headers = await bearer({ sub: 'cust-1', role: 'customer', scopes: 'customers:read', ttlSeconds: 1 });
      await new Promise((resolve) => setTimeout(resolve, 2_100));
      await expectUnauthenticated(await ask(PROFILE, headers), /expired/);
    });

    it('refuses a token from another issuer, even one signed with a published-looking key', async () => {
      const key = await testKey('attacker');
      const token = await signToken(key, {
        iss: 'https://evil.example',
        aud: 'atrium',
        sub: 'cust-1',
        roles: ['agent'],
        exp: Math.floor(Date.now() / 1000) + 60,
      });
      await expectUnauthenticated(await ask(PROFILE, { authorization: `Bearer ${token}` }), /unknown key|untrusted issuer/);
    });

    it('refuses a forged token claiming the real issuer and audience', async () => {
      const key = await testKey('forged');
      const token = await signToken(key, {
        iss: stack.identityProvider.issuer,
        aud: 'atrium',
        sub: 'cust-1',
        roles: ['agent'],
        exp: Math.floor(Date.now() / 1000) + 60,
      });
      await expectUnauthenticated(await ask(PROFILE, { authorization: `Bearer ${token}` }), /unknown key/);
    });

    it('refuses alg: none and a tampered token', async () => {
      const real = await stack.token({ sub: 'cust-1', role: 'customer', scopes: 'customers:read' });
      const [header, payload, signature] = real.split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
      const elevated = Buffer.from(JSON.stringify({ ...claims, roles: ['agent'], scope: 'customers:read pii:read' })).toString('base64url');
      const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
      await expectUnauthenticated(await ask(PROFILE, { authorization: `Bearer ${none}.${elevated}.` }), /not accepted|malformed/);
      await expectUnauthenticated(await ask(PROFILE, { authorization: `Bearer ${header}.${elevated}.${signature}` }), /signature is invalid/);
    });

    it('refuses a token for another audience', async () => {
      const key = await testKey('aud');
      const token = await signToken(key, { iss: stack.identityProvider.issuer, aud: 'billing', sub: 'x', exp: Math.floor(Date.now() / 1000) + 60 });
      const answer = await ask(PROFILE, { authorization: `Bearer ${token}` });
      expect(answer.status).toBe(401);
    });

    it('refuses an authorization header that is not a bearer token, and both credentials at once', async () => {
      await expectUnauthenticated(await ask(PROFILE, { authorization: 'Basic YWRtaW46YWRtaW4=' }), /not "Bearer <token>"/);
      await expectUnauthenticated(await ask(PROFILE, { ...(await bearer({ role: 'service', scopes: 'customers:read' })), 'x-api-key': 'atr_x' }), /not both/);
    });

    it('answers unknown, revoked and malformed API keys alike', async () => {
      const revoked = addKey('revoked-partner', ['customers:read']);
      keys[keys.length - 1] = { ...(keys[keys.length - 1] as ApiKeyRecord), revokedAt: new Date().toISOString() };
      writeKeyFile(stack.apiKeysFile, keys);
      await settle();
      const unknown = newApiKey('nobody', ['customers:read'], { ratePerSecond: 1, burst: 1, dailyQuota: 0 }).key;
      const answers = await Promise.all([revoked, unknown, 'atr_malformed', 'x'].map((key) => ask(PROFILE, { 'x-api-key': key })));
      for (const answer of answers) await expectUnauthenticated(answer, /^Unauthenticated: API key is not valid$/);
    });

    it('serves an API-key client what its scopes allow and nothing more', async () => {
      const key = addKey('acme', ['customers:read', 'orders:read']);
      await settle();
      const answer = await ask(PROFILE, { 'x-api-key': key });
      expect(answer.status).toBe(200);
      expect(answer.data).toEqual({ customer: { id: 'cust-1', name: expect.any(String), email: null, orders: [{ id: expect.any(String), payment: null }] } });
      expect(answer.errors?.map((e) => [e.path?.join('.'), e.extensions?.code])).toEqual([
        ['customer.email', 'FORBIDDEN'],
        ['customer.orders.0.payment', 'FORBIDDEN'],
      ]);
    });
  });

  describe('field rules', () => {
    it('lets a customer read their own profile', async () => {
      const answer = await ask(PROFILE, await bearer({ sub: 'cust-1', role: 'customer', scopes: 'customers:read pii:read orders:read' }));
      expect(answer.errors).toBeUndefined();
      expect(answer.data?.customer).toMatchObject({ id: 'cust-1', email: expect.stringContaining('@') });
    });

    it("refuses customer A reading customer B, and B's orders, with FORBIDDEN at the path", async () => {
      const headers = await bearer({ sub: 'cust-2', role: 'customer', scopes: 'customers:read orders:read' });
      const answer = await ask('{ customer(id: "cust-1") { id name } }', headers);
      expect(answer).toMatchObject({ status: 200, data: { customer: null }, errors: [{ path: ['customer'], extensions: { code: 'FORBIDDEN' } }] });
      const own = await ask('{ customer(id: "cust-2") { orders(first: 1) { id } } }', headers);
      const theirOrderId = ((await stack.query('{ customer(id: "cust-1") { orders(first: 1) { id } } }')).data?.customer as { orders: Array<{ id: string }> })
        .orders[0]?.id;
      expect(own.errors).toBeUndefined();
      // Someone else's order answers exactly like a missing one, so order ids cannot be probed.
      const theirs = await ask(`{ order(id: "${theirOrderId}") { id status } }`, headers);
      const missing = await ask('{ order(id: "ord-99999999") { id status } }', headers);
      expect({ status: theirs.status, data: theirs.data, errors: theirs.errors }).toEqual({
        status: missing.status,
        data: missing.data,
        errors: missing.errors,
      });
      expect(theirs.data).toEqual({ order: null });
    });

    it('refuses a customer listing customers', async () => {
      const answer = await ask('{ customers(first: 2) { nodes { id } } }', await bearer({ sub: 'cust-1', role: 'customer', scopes: 'customers:read' }));
      expect(answer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    });

    it('hides PII from an agent without pii:read and serves the rest of the profile', async () => {
      const answer = await ask(PROFILE, await bearer({ sub: 'agent-7', role: 'agent', scopes: 'customers:read orders:read' }));
      expect(answer.data?.customer).toEqual({ id: 'cust-1', name: expect.any(String), email: null, orders: [{ id: expect.any(String), payment: null }] });
      expect(answer.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN', 'FORBIDDEN']);
    });

    it('shows an agent with pii:read the card brand and last four digits only', async () => {
      const answer = await ask(PROFILE, await bearer({ sub: 'agent-7', role: 'agent', scopes: 'customers:read pii:read orders:read' }));
      expect(answer.errors).toBeUndefined();
      const payment = (answer.data?.customer as { orders: Array<{ payment: Record<string, string | null> }> }).orders[0]?.payment;
      if (payment?.cardLast4) expect(payment.cardLast4).toMatch(/^\d{4}$/);
      expect(JSON.stringify(answer)).not.toMatch(/\d{12,}/);
    });

    it('refuses a customer placing an order for someone else, and writes nothing', async () => {
      await stack.resetCalls();
      const headers = await bearer({ sub: 'cust-2', role: 'customer', scopes: 'orders:write' });
      const answer = await ask(
        'mutation { placeOrder(input: { customerId: "cust-1", idempotencyKey: "steal-1", lines: [{ sku: "SKU-0001", quantity: 1 }] }) { id } }',
        headers,
      );
      expect(answer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect((await stack.calls()).erp?.calls.PlaceOrder).toBeUndefined();
    });

    it('refuses an agent placing orders: agents never buy for customers', async () => {
      const headers = await bearer({ sub: 'agent-7', role: 'agent', scopes: 'orders:write' });
      const answer = await ask(
        'mutation { placeOrder(input: { customerId: "cust-1", idempotencyKey: "agent-1", lines: [{ sku: "SKU-0001", quantity: 1 }] }) { id } }',
        headers,
      );
      expect(answer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    });
  });

  describe('subgraphs trust only the gateway', () => {
    const entities = {
      query: 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { id name } } }',
      variables: { r: [{ __typename: 'Customer', id: 'cust-2' }] },
    };

    it('refuses a direct call without a token, for _service and _entities too', async () => {
      for (const body of [{ query: '{ _service { sdl } }' }, entities, { query: '{ customer(id: "cust-1") { id } }' }]) {
        const answer = await send(stack.subgraphUrls.customers as string, body);
        expect(answer.status).toBe(401);
        expect(answer.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      }
    });

    it("refuses a client's own access token and a forged gateway token", async () => {
      const clientToken = await stack.token({ role: 'service', scopes: 'customers:read' });
      const forgedKey = await testKey('forged', 'ES256');
      const forged = await signToken(forgedKey, {
        iss: 'atrium-gateway',
        aud: 'atrium-subgraph:customers',
        sub: 'svc',
        role: 'service',
        scope: 'customers:read',
        client_id: 'x',
        via: 'oauth',
        exp: Math.floor(Date.now() / 1000) + 60,
      });
      for (const token of [clientToken, forged]) {
        const answer = await send(stack.subgraphUrls.customers as string, { query: '{ _service { sdl } }' }, { authorization: `Bearer ${token}` });
        expect(answer.status).toBe(401);
      }
    });

    it('refuses a gateway token signed for another subgraph', async () => {
      const service = viewer('service', 'svc', ['customers:read']);
      const forOrders = { authorization: `Bearer ${await stack.internalToken(service, 'orders')}` };
      const refused = await send(stack.subgraphUrls.customers as string, { query: '{ _service { sdl } }' }, forOrders);
      expect(refused.status).toBe(401);
      expect(refused.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect((await send(stack.subgraphUrls.orders as string, { query: '{ _service { sdl } }' }, forOrders)).status).toBe(200);
    });

    it('guards entities fetched through _entities exactly as through root fields', async () => {
      const asCustomerOne = { authorization: `Bearer ${await stack.internalToken(viewer('customer', 'cust-1', ['customers:read']), 'customers')}` };
      // Another customer answers exactly like one that does not exist.
      const answer = await send(stack.subgraphUrls.customers as string, entities, asCustomerOne);
      const missing = await send(
        stack.subgraphUrls.customers as string,
        { ...entities, variables: { r: [{ __typename: 'Customer', id: 'cust-99999' }] } },
        asCustomerOne,
      );
      expect({ status: answer.status, data: answer.data, errors: answer.errors }).toEqual({
        status: missing.status,
        data: missing.data,
        errors: missing.errors,
      });
      expect(answer.data).toEqual({ _entities: [null] });
      const own = await send(
        stack.subgraphUrls.customers as string,
        { ...entities, variables: { r: [{ __typename: 'Customer', id: 'cust-1' }] } },
        asCustomerOne,
      );
      // __resolveReference ran under shield: the name comes from the CRM.
      expect(own.data).toEqual({ _entities: [{ id: 'cust-1', name: expect.any(String) }] });
    });
  });

  describe('abuse limits', () => {
    it('refuses a depth bomb before any backend is called', async () => {
      await stack.resetCalls();
      let query = 'id';
      for (let i = 0; i < 12; i += 1) query = `customer { orders { ${query} } }`;
      const answer = await stack.query(`{ order(id: "ord-1") { ${query} } }`);
      expect(answer.status).toBe(400);
      expect(answer.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(JSON.stringify(answer.errors)).not.toMatch(/limit of \d+/);
      const calls = await stack.calls();
      expect(Object.values(calls).map((c) => c.total)).toEqual(Object.keys(calls).map(() => 0));
    });

    it('refuses an alias bomb', async () => {
      const aliases = Array.from({ length: 50 }, (_, i) => `a${i}: customer(id: "cust-${i + 1}") { id }`).join(' ');
      const answer = await stack.query(`{ ${aliases} }`);
      expect(answer.status).toBe(400);
      expect(answer.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    });

    it('refuses a page larger than 100', async () => {
      const answer = await stack.query('{ customers(first: 1000) { nodes { id } } }');
      expect(answer.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });

    it('refuses batched HTTP requests', async () => {
      const response = await fetch(stack.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(await bearer({ role: 'service', scopes: 'customers:read' })) },
        body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]),
      });
      expect(response.status).toBe(400);
    });

    it('answers 429 with Retry-After and RateLimit headers over the plan, before any backend is called', async () => {
      const key = addKey('tiny', ['customers:read'], { ratePerSecond: 1, burst: 2, dailyQuota: 0 });
      await settle();
      const first = await ask('{ customer(id: "cust-1") { id } }', { 'x-api-key': key });
      expect(first.status).toBe(200);
      expect(first.headers.get('ratelimit-limit')).toBe('2');
      expect(first.headers.get('ratelimit-remaining')).toBe('1');
      await ask('{ customer(id: "cust-1") { id } }', { 'x-api-key': key });
      await stack.resetCalls();
      const refused = await ask('{ customer(id: "cust-1") { id } }', { 'x-api-key': key });
      expect(refused.status).toBe(429);
      expect(refused.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(refused.headers.get('ratelimit-remaining')).toBe('0');
      expect((await stack.calls()).crm?.total).toBe(0);
    });

    it('allows listed origins by CORS and no other', async () => {
      const preflight = (origin: string) =>
        fetch(stack.gatewayUrl, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
        });
      const allowed = await preflight('https://app.example.com');
      expect(allowed.status).toBe(204);
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      const other = await preflight('https://evil.example');
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  describe('in production mode', () => {
    let production: RunningService;
    beforeAll(async () => {
      production = await stack.startGateway({ NODE_ENV: 'production' });
    });
    const askProduction = async (query: string) => send(production.url, { query }, await bearer({ role: 'service', scopes: 'customers:read' }));

    it('refuses introspection: no __schema, and __type tells only whether a type exists', async () => {
      for (const query of ['{ __schema { types { name } } }', '{ __type(name: "Customer") { fields { name } } }']) {
        const answer = await askProduction(query);
        expect(answer.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
        expect(answer.data).toBeUndefined();
      }
      expect((await askProduction('{ __type(name: "Customer") { name kind } }')).data).toEqual({ __type: { name: 'Customer', kind: 'OBJECT' } });
      expect((await stack.query('{ __type(name: "Customer") { fields { name } } }')).errors).toBeUndefined();
    });

    it('hides field suggestions (which development mode shows)', async () => {
      expect((await stack.query('{ customer(id: "cust-1") { nam } }')).errors?.[0]?.message).toMatch(/Did you mean/);
      const answer = await askProduction('{ customer(id: "cust-1") { nam } }');
      expect(answer.errors?.[0]?.message).not.toMatch(/Did you mean/);
    });

    it('leaks no stack trace or internal URL in any error', async () => {
      await stack.setFaults('crm', { down: true });
      try {
        // A customer never read before, so no last good value stands in.
        const answer = await askProduction('{ customer(id: "cust-977") { id name } }');
        expect(answer.errors?.[0]?.extensions?.code).toBe('BACKEND_UNAVAILABLE');
        expect(JSON.stringify(answer)).not.toMatch(/stacktrace|127\.0\.0\.1|http:\/\/|at \w+ \(/);
      } finally {
        await stack.setFaults('crm', { down: false });
      }
    });
  });
});
