import { freePort } from '../../platform/http';
import { PROFILE_QUERY } from '../support/operations';
import { startStack, type Stack } from '../support/stack';

const PREFERENCES = 'query($id: ID!) { customer(id: $id) { id preferences { language marketingOptIn } } }';
const UPDATE = 'mutation($id: ID!, $optIn: Boolean!) { updatePreferences(customerId: $id, input: { marketingOptIn: $optIn }) { marketingOptIn } }';

/** Business calls per backend since the last reset. */
const totalsOf = async (stack: Stack) => Object.fromEntries(Object.entries(await stack.calls()).map(([name, backend]) => [name, backend.total]));

describe('entity caching in the subgraphs (ENTITY_CACHE=on)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ entityCache: true });
  });
  afterAll(() => stack.stop());

  it('answers a repeated profile without calling any backend, and other customers from their backends', async () => {
    await stack.resetCalls();
    const first = await stack.query(PROFILE_QUERY, { id: 'cust-21' });
    expect(first.errors).toBeUndefined();
    expect(await totalsOf(stack)).toEqual({ crm: 1, 'preference-service': 1, erp: 1, helpdesk: 1, payments: 0 });
    await stack.resetCalls();
    const second = await stack.query(PROFILE_QUERY, { id: 'cust-21' });
    expect(second).toEqual(first);
    expect(await totalsOf(stack)).toEqual({ crm: 0, 'preference-service': 0, erp: 0, helpdesk: 0, payments: 0 });
    await stack.query(PROFILE_QUERY, { id: 'cust-22' });
    expect(await totalsOf(stack)).toEqual({ crm: 1, 'preference-service': 1, erp: 1, helpdesk: 1, payments: 0 });
  });

  it('forgets what a mutation changed: the next read goes to the backend and sees the change', async () => {
    const before = ((await stack.query(PREFERENCES, { id: 'cust-23' })).data?.customer as { preferences: { marketingOptIn: boolean } }).preferences;
    await stack.query(PREFERENCES, { id: 'cust-23' });
    await stack.resetCalls();
    expect((await stack.query(UPDATE, { id: 'cust-23', optIn: !before.marketingOptIn })).errors).toBeUndefined();
    const after = await stack.query(PREFERENCES, { id: 'cust-23' });
    expect(after.data?.customer).toEqual({ id: 'cust-23', preferences: { ...before, marketingOptIn: !before.marketingOptIn } });
    // The mutation reads the latest values (never kept ones) before writing; the read after it goes to the backend too.
    expect((await stack.calls())['preference-service']?.calls).toEqual({ getPreferences: 2, putPreferences: 1 });
  });
});

describe('entity caching with its store unreachable', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ entityCache: true, redisUrl: `redis://127.0.0.1:${await freePort()}` });
  });
  afterAll(() => stack.stop());

  it('reads every profile from the backends, as if nothing were cached', async () => {
    for (let i = 0; i < 2; i += 1) {
      await stack.resetCalls();
      const result = await stack.query(PROFILE_QUERY, { id: 'cust-24' });
      expect(result.errors).toBeUndefined();
      expect(await totalsOf(stack)).toEqual({ crm: 1, 'preference-service': 1, erp: 1, helpdesk: 1, payments: 0 });
    }
  });
});
