import { silentLogger } from '../../platform/log';
import { defaultResilience } from '../kit/resilience';
import { GraphQLError } from 'graphql';
import createCrmServer from '../../legacy/crm/server';
import { seedCustomers, type CrmCustomer } from '../../legacy/seed/customers';
import { startBackend, withLatency, type RunningBackend } from '../../test/support/legacy';
import { BackendUnavailableError } from '../kit/errors';
import { RestClient } from '../kit/rest-client';
import { CrmClient, type Customer } from './crm-client';

/** What the adapter should make of a CRM record. */
const expected = ({ firstName, lastName, ...rest }: CrmCustomer): Customer => ({ ...rest, name: `${firstName} ${lastName}` });

describe('CrmClient against the CRM', () => {
  const seeded = seedCustomers();
  let crm: RunningBackend;
  let http: RestClient;
  let impatient: RestClient;

  beforeAll(async () => {
    crm = await startBackend(createCrmServer);
    // As customersOverCrm builds it: one pool per process, a new adapter per request.
    http = new RestClient({
      backend: 'CRM',
      baseUrl: crm.url,
      connections: 4,
      resilience: { ...defaultResilience, timeoutMs: 5_000, retries: 0 },
      log: silentLogger,
    });
    impatient = new RestClient({
      backend: 'CRM',
      baseUrl: crm.url,
      connections: 2,
      resilience: { ...defaultResilience, timeoutMs: 200, retries: 0 },
      log: silentLogger,
    });
  });
  afterAll(async () => {
    await http.close();
    await impatient.close();
    await crm.stop();
  });
  beforeEach(() => crm.restore());

  const calls = () => crm.backend.stats.toJSON();

  it('maps a CRM customer, joining first and last name', async () => {
    const customer = await new CrmClient(http).customer('cust-1');
    expect(customer).toEqual(expected(seeded[0] as CrmCustomer));
    expect(customer).toMatchObject({ id: 'cust-1', name: 'Ada Quinn', createdAt: '2015-11-15T23:31:42Z' });
    expect(customer).not.toHaveProperty('firstName');
    expect(await crm.stats()).toEqual({ total: 1, calls: { getCustomer: 1 } });
  });

  it('loads many customers asked for in the same tick with one batch call, and none more', async () => {
    const client = new CrmClient(http);
    const ids = Array.from({ length: 50 }, (_, i) => `cust-${i + 1}`);
    const customers = await Promise.all([...ids, 'cust-7', 'cust-1'].map((id) => client.customer(id)));
    expect(customers.slice(0, 50)).toEqual(seeded.slice(0, 50).map(expected));
    expect(customers[50]).toEqual(expected(seeded[6] as CrmCustomer));
    expect(await crm.stats()).toEqual({ total: 1, calls: { getCustomersByIds: 1 } });
    // Within the same request, a customer already loaded costs nothing.
    await client.customer('cust-25');
    expect(calls().total).toBe(1);
  });

  it('splits more than 100 customers into batches of at most 100', async () => {
    const client = new CrmClient(http);
    const ids = Array.from({ length: 150 }, (_, i) => `cust-${i + 1}`);
    const customers = await Promise.all(ids.map((id) => client.customer(id)));
    expect(customers.map((c) => c?.id)).toEqual(ids);
    expect(calls()).toEqual({ total: 2, calls: { getCustomersByIds: 2 } });
  });

  it('answers null for unknown customers, alone or in a batch', async () => {
    expect(await new CrmClient(http).customer('cust-1001')).toBeNull();
    const client = new CrmClient(http);
    const [known, unknown] = await Promise.all([client.customer('cust-2'), client.customer('cust-999999')]);
    expect(known?.id).toBe('cust-2');
    expect(unknown).toBeNull();
    expect(calls()).toEqual({ total: 2, calls: { getCustomer: 1, getCustomersByIds: 1 } });
  });

  it.each(['bob', 'cust-0', '', 'cust-1,cust-2', '../_admin/reset'])('answers null for the malformed id "%s" without calling the CRM', async (id) => {
    expect(await new CrmClient(http).customer(id)).toBeNull();
    expect(calls().total).toBe(0);
  });

  it('pages through customers with the CRM cursor, and the page primes the by-id lookups', async () => {
    const client = new CrmClient(http);
    const first = await client.customers(3);
    expect(first).toEqual({ nodes: seeded.slice(0, 3).map(expected), endCursor: expect.any(String), hasNextPage: true, totalCount: 1000 });
    const second = await client.customers(3, first.endCursor as string);
    expect(second.nodes.map((c) => c.id)).toEqual(['cust-4', 'cust-5', 'cust-6']);
    expect(await client.customer('cust-5')).toEqual(expected(seeded[4] as CrmCustomer));
    expect(calls()).toEqual({ total: 2, calls: { listCustomers: 2 } });
  });

  it('reports the end of the list', async () => {
    const client = new CrmClient(http);
    let page = await client.customers(100);
    for (let i = 0; i < 9; i++) page = await client.customers(100, page.endCursor as string);
    expect(page).toMatchObject({ endCursor: null, hasNextPage: false, totalCount: 1000 });
    expect(page.nodes.at(-1)?.id).toBe('cust-1000');
  });

  it('answers an empty first page with the total', async () => {
    expect(await new CrmClient(http).customers(0)).toEqual({ nodes: [], endCursor: null, hasNextPage: true, totalCount: 1000 });
  });

  it('turns a cursor the CRM refuses into BAD_USER_INPUT on after', async () => {
    const error = await new CrmClient(http).customers(5, 'forged').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphQLError);
    expect((error as GraphQLError).extensions).toEqual({ code: 'BAD_USER_INPUT', argumentName: 'after' });
  });

  describe('when the CRM fails', () => {
    const expectUnavailable = (error: unknown) => {
      expect(error).toBeInstanceOf(BackendUnavailableError);
      const { message, extensions } = error as BackendUnavailableError;
      expect(extensions.code).toBe('BACKEND_UNAVAILABLE');
      expect(message).toMatch(/^CRM is unavailable( \(timed out\))?; try again later$/);
      expect(message).not.toContain(crm.url);
      expect(message).not.toMatch(/127\.0\.0\.1|http|500/);
    };

    it.each([
      ['answers HTTP 500', { errorRate: 1 }],
      ['is down', { down: true }],
    ])('reports BACKEND_UNAVAILABLE when it %s, for single, batch and page reads', async (_case, faults) => {
      await crm.setFaults(faults);
      const client = new CrmClient(http);
      expectUnavailable(await client.customer('cust-1').catch((e: unknown) => e));
      const batch = await Promise.allSettled([client.customer('cust-2'), client.customer('cust-3')]);
      for (const result of batch) expectUnavailable((result as PromiseRejectedResult).reason);
      expectUnavailable(await client.customers(10).catch((e: unknown) => e));
      await crm.setFaults({ errorRate: 0, down: false });
      // The pool recovers: the next request's adapter gets through.
      expect((await new CrmClient(http).customer('cust-1'))?.id).toBe('cust-1');
    });

    it('reports BACKEND_UNAVAILABLE as soon as the timeout passes when the CRM is slow', async () => {
      const { outcome, elapsedMs } = await withLatency(crm, 600, () => new CrmClient(impatient).customer('cust-1'));
      expect(outcome.status).toBe('rejected');
      expectUnavailable((outcome as PromiseRejectedResult).reason);
      expect(elapsedMs).toBeGreaterThanOrEqual(150);
      expect(elapsedMs).toBeLessThan(500);
    });
  });
});
