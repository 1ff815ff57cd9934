import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { print, parse } from 'graphql';
import { readGatewayConfig } from '../../gateway/config';
import type { RunningService } from '../../platform/run';
import { PROFILE_QUERY } from '../support/operations';
import { describeWithRedis, redisUrl } from '../support/redis';
import { startStack, type Stack } from '../support/stack';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const PROFILE = print(parse(PROFILE_QUERY));
const persisted = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });
/** A query no earlier run has registered, so the test sees the whole APQ exchange. */
const fresh = () => `query Fresh { customer(id: "cust-${1 + Math.floor(Math.random() * 900)}") { id } } # ${process.pid}-${Date.now()}-${Math.random()}`;

describe('persisted queries', () => {
  let stack: Stack;
  let token: string;
  let dir: string;
  beforeAll(async () => {
    stack = await startStack();
    token = await stack.token({ role: 'service', scopes: 'customers:read pii:read orders:read preferences:read tickets:read' });
    dir = mkdtempSync(join(tmpdir(), 'atrium-pq-'));
  });
  afterAll(async () => {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (url: string, body: Record<string, unknown>) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) }).then(
      async (response) => ({
        status: response.status,
        body: (await response.json()) as { data?: Record<string, unknown>; errors?: Array<{ extensions?: { code?: string } }> },
      }),
    );
  const code = (answer: { body: { errors?: Array<{ extensions?: { code?: string } }> } }) => answer.body.errors?.[0]?.extensions?.code;

  it('registers a query sent with its hash, then serves it by hash alone, also over GET', async () => {
    const query = fresh();
    const hash = sha256(query);
    expect(code(await post(stack.gatewayUrl, { extensions: persisted(hash) }))).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await post(stack.gatewayUrl, { query, extensions: persisted(hash) })).body.errors).toBeUndefined();
    const byHash = await post(stack.gatewayUrl, { extensions: persisted(hash) });
    expect(byHash.body.data?.customer).toEqual({ id: expect.stringMatching(/^cust-/) });
    const get = await fetch(`${stack.gatewayUrl}?extensions=${encodeURIComponent(JSON.stringify(persisted(hash)))}`, {
      headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' },
    });
    expect(get.status).toBe(200);
    expect(((await get.json()) as { data: unknown }).data).toEqual(byHash.body.data);
  });

  it('refuses a hash that does not match the query, and an unknown protocol version, as bad requests', async () => {
    const mismatch = await post(stack.gatewayUrl, { query: fresh(), extensions: persisted(sha256('something else')) });
    expect(mismatch.status).toBe(400);
    expect(code(mismatch)).toBe('BAD_REQUEST');
    const version = await post(stack.gatewayUrl, { extensions: { persistedQuery: { version: 2, sha256Hash: sha256('x') } } });
    expect(version.status).toBe(400);
    expect(version.body.errors?.[0]).toEqual({ message: 'Unsupported persisted query version', extensions: { code: 'BAD_REQUEST' } });
  });

  describe('trusted documents only (PERSISTED_ONLY=on)', () => {
    let trustedOnly: RunningService;
    beforeAll(async () => {
      const manifest = join(dir, 'manifest.json');
      writeFileSync(
        manifest,
        JSON.stringify({
          format: 'apollo-persisted-query-manifest',
          version: 1,
          operations: [{ id: sha256(PROFILE), name: 'Profile', type: 'query', body: PROFILE }],
        }),
      );
      trustedOnly = await stack.startGateway({ PERSISTED_ONLY: 'on', PERSISTED_QUERIES_FILE: manifest });
    });

    it('serves a trusted document by id, and by its text', async () => {
      const byId = await post(trustedOnly.url, { extensions: persisted(sha256(PROFILE)), variables: { id: 'cust-1' } });
      expect(byId.body.errors).toBeUndefined();
      expect(byId.body.data?.customer).toMatchObject({ id: 'cust-1' });
      expect((await post(trustedOnly.url, { query: PROFILE, variables: { id: 'cust-2' } })).body.data?.customer).toMatchObject({ id: 'cust-2' });
    });

    it('refuses any other operation before a subgraph sees it, and never learns new ones', async () => {
      await stack.resetCalls();
      const other = await post(trustedOnly.url, { query: '{ customers(first: 50) { nodes { id email } } }' });
      expect(other.status).toBe(400);
      expect(code(other)).toBe('PERSISTED_QUERY_NOT_IN_LIST');
      const query = fresh();
      expect(code(await post(trustedOnly.url, { query, extensions: persisted(sha256(query)) }))).toBe('PERSISTED_QUERY_NOT_IN_LIST');
      expect(code(await post(trustedOnly.url, { extensions: persisted(sha256(query)) }))).toBe('PERSISTED_QUERY_NOT_FOUND');
      expect(Object.values(await stack.calls()).every((backend) => backend.total === 0)).toBe(true);
    });

    it('is refused at start without a valid manifest', () => {
      expect(() => readGatewayConfig({ PERSISTED_ONLY: 'on' })).toThrow(/PERSISTED_ONLY: needs PERSISTED_QUERIES_FILE/);
      const bad = join(dir, 'bad.json');
      writeFileSync(bad, JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: sha256('x'), body: PROFILE }] }));
      return expect(stack.startGateway({ PERSISTED_ONLY: 'on', PERSISTED_QUERIES_FILE: bad })).rejects.toThrow(
        /PERSISTED_QUERIES_FILE: the id of .* is not the SHA-256 of its body/,
      );
    });
  });
});

describeWithRedis('persisted queries across gateway replicas sharing Redis', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.stop());

  it('serves by hash on one replica what a client registered on another', async () => {
    const [first, second] = [await stack.startGateway({ REDIS_URL: redisUrl }), await stack.startGateway({ REDIS_URL: redisUrl })];
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${await stack.token({ role: 'service', scopes: 'customers:read' })}` };
    const query = fresh();
    const register = await fetch(first.url, { method: 'POST', headers, body: JSON.stringify({ query, extensions: persisted(sha256(query)) }) });
    expect(register.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const byHash = await fetch(second.url, { method: 'POST', headers, body: JSON.stringify({ extensions: persisted(sha256(query)) }) });
    expect(((await byHash.json()) as { data?: { customer?: unknown } }).data?.customer).toEqual({ id: expect.stringMatching(/^cust-/) });
  });
});
