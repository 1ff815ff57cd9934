import { ada } from '../../test/support/customers';
import { asCaller, errorCodes, requestScope, runOperation } from '../../test/support/operations';
import { subgraphOverAdapters } from '../kit/build-subgraph';
import { BackendUnavailableError } from '../kit/errors';
import type { CustomerPage, CustomersBackend } from './crm-client';
import declaration from './subgraph';

/** An in-memory customer master that records what it was asked. */
class FakeCustomers implements CustomersBackend {
  readonly asked: string[] = [];
  failing = false;
  async customer(id: string) {
    this.asked.push(`customer:${id}`);
    if (this.failing) throw new BackendUnavailableError('CRM');
    return id === ada.id ? ada : null;
  }
  async customers(first: number, after?: string): Promise<CustomerPage> {
    this.asked.push(`customers:${first}:${after ?? ''}`);
    return { nodes: first > 0 ? [ada] : [], endCursor: 'next', hasNextPage: true, totalCount: 1000 };
  }
}

describe('customers subgraph', () => {
  const backend = new FakeCustomers();
  const subgraph = subgraphOverAdapters(declaration, () => ({ customers: backend }));
  const run = (query: string, variables?: Record<string, unknown>) => runOperation(subgraph.server, asCaller({ customers: backend }), query, variables);

  beforeEach(() => {
    backend.asked.length = 0;
    backend.failing = false;
  });

  it('serves a customer by id', async () => {
    const result = await run('query($id: ID!) { customer(id: $id) { id name email tier address { city country } createdAt } }', { id: 'cust-1' });
    expect(result.errors).toBeUndefined();
    expect(result.data?.customer).toEqual({
      id: 'cust-1',
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      tier: 'GOLD',
      address: { city: 'London', country: 'GB' },
      createdAt: '2015-12-10T09:00:00Z',
    });
  });

  it('answers null for an unknown customer', async () => {
    const result = await run('{ customer(id: "cust-999999") { id } }');
    expect(result).toEqual({ data: { customer: null } });
  });

  it('pages customers and passes the cursor through', async () => {
    const result = await run('{ customers(first: 1, after: "abc") { nodes { id } pageInfo { hasNextPage endCursor } totalCount } }');
    expect(result.data?.customers).toEqual({ nodes: [{ id: 'cust-1' }], pageInfo: { hasNextPage: true, endCursor: 'next' }, totalCount: 1000 });
    expect(backend.asked).toEqual(['customers:1:abc']);
  });

  it.each([-1, 101])('refuses first: %d with BAD_USER_INPUT before calling the backend', async (first) => {
    const result = await run('query($first: Int) { customers(first: $first) { totalCount } }', { first });
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors?.[0]?.message).toMatch(/first must be a whole number from 0 to 100/);
    expect(backend.asked).toEqual([]);
  });

  it('turns a backend outage into BACKEND_UNAVAILABLE without internals', async () => {
    backend.failing = true;
    const result = await run('{ customer(id: "cust-1") { id } }');
    expect(errorCodes(result)).toEqual(['BACKEND_UNAVAILABLE']);
    expect(JSON.stringify(result.errors)).not.toMatch(/stack|http:\/\//);
  });

  it('masks unexpected errors as INTERNAL_SERVER_ERROR', async () => {
    const broken = subgraphOverAdapters(declaration, () => ({
      customers: {
        customer: async () => Promise.reject(new Error('secret detail at http://crm.internal')),
        customers: async () => Promise.reject(new Error('x')),
      },
    }));
    const result = await runOperation(broken.server, asCaller(broken.backends(requestScope())), '{ customer(id: "cust-1") { id } }');
    expect(errorCodes(result)).toEqual(['INTERNAL_SERVER_ERROR']);
    expect(JSON.stringify(result.errors)).not.toMatch(/secret|crm\.internal/);
  });

  it('publishes its SDL through _service', async () => {
    const result = await run('{ _service { sdl } }');
    const sdl = (result.data?._service as { sdl: string }).sdl;
    expect(sdl).toContain('type Customer');
    expect(sdl).toMatch(/@key\(fields: "id"\)/);
  });

  it('resolves Customer entities through _entities, batched in one request', async () => {
    const result = await run('query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { id name } } }', {
      r: [
        { __typename: 'Customer', id: 'cust-1' },
        { __typename: 'Customer', id: 'cust-2' },
      ],
    });
    expect(result.errors).toBeUndefined();
    expect(result.data?._entities).toEqual([{ id: 'cust-1', name: 'Ada Lovelace' }, null]);
    expect(backend.asked).toEqual(['customer:cust-1', 'customer:cust-2']);
  });
});
