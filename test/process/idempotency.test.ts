import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { customerToken, erpOrderIds, restart, scenarios, Traffic, type OrderRequest } from '../../scripts/chaos/idempotency';
import { startProcessStack, type ProcessStack } from '../../scripts/process-stack';

jest.setTimeout(240_000);

const order = (customerId: string, idempotencyKey: string, quantity = 1): OrderRequest => ({
  customerId,
  idempotencyKey,
  lines: [{ sku: 'SKU-0002', quantity }],
});

/** Built services as real processes (`npm run build` first), over a data folder that outlives each stack. */
describe('idempotency out of process: exactly once across customers, restarts and a new stack', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'atrium-idempotency-'));
  let stack: ProcessStack;
  let traffic: Traffic;
  const tokens: Record<string, string> = {};
  const placed: Record<string, string> = {};
  const erpBefore: Record<string, Set<string>> = {};

  const place = async (customerId: string, key: string, quantity = 1) => traffic.placeOrder(tokens[customerId] as string, order(customerId, key, quantity));
  const newErpOrders = async (customerId: string) => [...(await erpOrderIds(stack, customerId))].filter((id) => !erpBefore[customerId]?.has(id));

  beforeAll(async () => {
    stack = await startProcessStack({ dataDir });
    traffic = new Traffic(stack);
    for (const c of ['cust-3', 'cust-4']) {
      tokens[c] = await customerToken(stack, c);
      erpBefore[c] = await erpOrderIds(stack, c);
    }
  });
  afterAll(async () => {
    await stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('gives two customers of one OAuth client their own order for the same key', async () => {
    const first = await place('cust-3', 'same-key');
    const second = await place('cust-4', 'same-key');
    placed['cust-3'] = 'orderId' in first ? first.orderId : 'none';
    placed['cust-4'] = 'orderId' in second ? second.orderId : 'none';
    expect(first).toEqual({ orderId: expect.any(String) });
    expect(second).toEqual({ orderId: expect.any(String) });
    expect(second).not.toEqual(first);
  });

  it('after the orders subgraph restarts: the same order for the same body, IDEMPOTENCY_KEY_REUSED for another', async () => {
    await restart(stack, 'orders');
    // The other body first: the subgraph must remember the key itself, not learn it again from the ERP's answer.
    expect(await place('cust-3', 'same-key', 2)).toEqual({ code: 'IDEMPOTENCY_KEY_REUSED' });
    expect(await place('cust-3', 'same-key')).toEqual({ orderId: placed['cust-3'] });
  });

  it('after the ERP restarts too: the ERP still knows the order and refuses another body for its reference', async () => {
    await restart(stack, 'erp', 'orders');
    expect(await place('cust-4', 'same-key', 3)).toEqual({ code: 'IDEMPOTENCY_KEY_REUSED' });
    expect(await place('cust-4', 'same-key')).toEqual({ orderId: placed['cust-4'] });
    expect(await newErpOrders('cust-3')).toEqual([placed['cust-3']]);
    expect(await newErpOrders('cust-4')).toEqual([placed['cust-4']]);
  });

  it('a whole new stack over the same data folder answers the same', async () => {
    await stack.stop();
    stack = await startProcessStack({ dataDir });
    traffic = new Traffic(stack);
    for (const c of ['cust-3', 'cust-4']) tokens[c] = await customerToken(stack, c);
    expect(await place('cust-3', 'same-key')).toEqual({ orderId: placed['cust-3'] });
    expect(await place('cust-4', 'same-key')).toEqual({ orderId: placed['cust-4'] });
    expect(await place('cust-3', 'same-key', 4)).toEqual({ code: 'IDEMPOTENCY_KEY_REUSED' });
    expect(await newErpOrders('cust-3')).toEqual([placed['cust-3']]);
    expect(await newErpOrders('cust-4')).toEqual([placed['cust-4']]);
  });

  it.each(scenarios.map((scenario) => [scenario.name, scenario] as const))('chaos: %s', async (_name, scenario) => {
    const result = await scenario.run(stack);
    // The whole result in the diff: its outcome says what went wrong.
    expect(result).toEqual({ ...result, doubleBooked: 0, serverErrors: 0, passed: true });
  });
});
