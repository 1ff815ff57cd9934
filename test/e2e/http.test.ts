import { startStack, type Stack } from '../support/stack';

describe('the gateway over HTTP', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.stop());

  const credentials = async () => ({ authorization: `Bearer ${await stack.token({ role: 'agent', scopes: 'customers:read' })}` });
  // Credentials are checked from the headers first: a request without them is answered 401 before its body is read.
  const post = async (body: string) =>
    fetch(stack.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...(await credentials()) }, body });

  it('is live and ready', async () => {
    const base = stack.gatewayUrl.replace('/graphql', '');
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${base}/ready`)).json()).toEqual({ status: 'ready' });
  });

  it('answers 400 BAD_REQUEST to a body that is not JSON', async () => {
    const response = await post('{"query": ');
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ errors: [{ message: 'request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }] });
  });

  it('answers 413 to a body over the limit without reading it all', async () => {
    const response = await post(JSON.stringify({ query: `{ __typename } #${'x'.repeat(200_000)}` }));
    expect(response.status).toBe(413);
    expect(((await response.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]?.extensions.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers 404 naming the GraphQL path for any other route', async () => {
    const response = await fetch(stack.gatewayUrl.replace('/graphql', '/graphiql'));
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ errors: [{ message: 'no route /graphiql; GraphQL is served at /graphql', extensions: { code: 'NOT_FOUND' } }] });
  });

  it('answers 401 to a request without credentials before reading its body', async () => {
    const response = await fetch(stack.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]?.extensions.code).toBe('UNAUTHENTICATED');
  });

  it('accepts application/json in any case and refuses other media types with 415', async () => {
    const ask = async (type: string) =>
      (await fetch(stack.gatewayUrl, { method: 'POST', headers: { 'content-type': type, ...(await credentials()) }, body: '{"query": "{ __typename }"}' }))
        .status;
    expect(await ask('Application/Json; charset=UTF-8')).toBe(200);
    expect(await ask('text/plain')).toBe(415);
  });

  it('refuses a simple cross-site GET (CSRF prevention) and serves one with a preflight header', async () => {
    const url = `${stack.gatewayUrl}?query=${encodeURIComponent('{ customer(id: "cust-1") { id } }')}`;
    expect((await fetch(url, { headers: await credentials() })).status).toBe(400);
    const allowed = await fetch(url, { headers: { 'apollo-require-preflight': 'true', ...(await credentials()) } });
    expect(await allowed.json()).toEqual({ data: { customer: { id: 'cust-1' } } });
  });

  it('answers GRAPHQL_VALIDATION_FAILED for a field that does not exist', async () => {
    const result = await stack.query('{ customer(id: "cust-1") { shoeSize } }');
    expect(result.status).toBe(400);
    expect(result.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('serves the rest with SUBGRAPH_UNAVAILABLE, without the subgraph URL, when a subgraph cannot be reached', async () => {
    const gateway = await stack.startGateway({ SUBGRAPH_ORDERS_URL: 'http://127.0.0.1:9/graphql' });
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await stack.token({ role: 'service', scopes: 'customers:read orders:read preferences:read' })}`,
      },
      body: JSON.stringify({ query: '{ customer(id: "cust-1") { name orders { id } preferences { language } } }' }),
    });
    const body = (await response.json()) as { data: { customer: Record<string, unknown> }; errors: Array<{ message: string; extensions: { code: string } }> };
    expect(body.data.customer).toMatchObject({ name: expect.any(String), orders: null, preferences: { language: expect.any(String) } });
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0]).toMatchObject({
      message: 'subgraph "orders" is unavailable',
      path: ['customer', 'orders'],
      extensions: { code: 'SUBGRAPH_UNAVAILABLE' },
    });
    expect(JSON.stringify(body)).not.toMatch(/127\.0\.0\.1|:9\//);
  });
});
