import { postGraphQL } from '../../scripts/chaos/clients';
import { scenarios } from '../../scripts/chaos/deadline';
import { startProcessStack, type ProcessStack } from '../../scripts/process-stack';

jest.setTimeout(120_000);

const [retriesStop, subgraphIdles] = scenarios as [(typeof scenarios)[number], (typeof scenarios)[number]];
const ORDERS = 'query($id: ID!) { _entities(representations: [{ __typename: "Customer", id: $id }]) { ... on Customer { orders { id } } } }';

describe('request deadlines, with the built services as processes', () => {
  let stack: ProcessStack;
  beforeAll(async () => {
    stack = await startProcessStack({ env: retriesStop.stackEnv, serviceEnv: retriesStop.serviceEnv });
  });
  afterAll(() => stack?.stop());

  const direct = async (deadline: string | undefined, id: string) => {
    const token = await stack.internalToken(
      {
        subject: 'deadline-direct',
        clientId: 'atrium-processes',
        role: 'service',
        scopes: ['orders:read'],
        via: 'oauth',
      },
      'orders',
    );
    return postGraphQL(
      stack.subgraphUrls.orders as string,
      { authorization: `Bearer ${token}`, ...(deadline === undefined ? {} : { 'x-request-deadline': deadline }) },
      ORDERS,
      { id },
    );
  };

  it('sends no backend call once the deadline has passed, and frees the bulkhead for the next caller', async () => {
    const result = await retriesStop.run(stack);
    expect(result.outcome).toMatch(/^ERP reads (\d+) at \+3 s, \1 at \+5\.5 s; another client's profile with orders/);
    expect(result).toMatchObject({ serverErrors: 0, dropped: 0, passed: true });
  });

  it('stops working on answers nobody waits for', async () => {
    const result = await subgraphIdles.run(stack);
    expect(result).toMatchObject({ serverErrors: 0, dropped: 0, passed: true });
  });

  it('refuses a request whose deadline passed before it arrived, without calling the backend', async () => {
    await stack.resetCalls();
    const answer = await direct(String(Date.now() - 1), 'cust-840');
    expect(answer.status).toBe(504);
    expect(answer.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'DEADLINE_EXCEEDED' }) })]);
    expect((await stack.calls('erp')).total).toBe(0);
  });

  it('ends a direct call at its deadline with DEADLINE_EXCEEDED at the field, and sends nothing more', async () => {
    await stack.setFaults('erp', { latencyMs: 2_500 });
    await stack.resetCalls();
    const answer = await direct(String(Date.now() + 300), 'cust-841');
    await stack.setFaults('erp', { latencyMs: 0 });
    expect(answer.status).toBe(200);
    expect(answer.errors).toEqual([
      expect.objectContaining({ path: ['_entities', 0, 'orders'], extensions: expect.objectContaining({ code: 'DEADLINE_EXCEEDED' }) }),
    ]);
    // The read sent before the deadline was aborted with it (the ERP, its caller gone, never completes it) and no retry
    // followed, although the ERP answers at once from the deadline on.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    expect((await stack.calls('erp')).total).toBe(0);
  });

  it('ignores a deadline header that is not a time, and serves the request', async () => {
    await stack.resetCalls();
    const answer = await direct('soon', 'cust-842');
    expect(answer.status).toBe(200);
    expect(answer.errors).toBeUndefined();
    expect((await stack.calls('erp')).calls).toEqual({ GetOrdersByCustomerIds: 1 });
  });
});
