import { silentLogger } from '../../platform/log';
import { describeWithRedis, redisUrl } from '../../test/support/redis';
import { IdempotencyStore } from './idempotency';
import { openStore } from '../../platform/store';

const order = { customerId: 'cust-1', lines: [{ sku: 'SKU-0001', quantity: 2 }] };

describe('IdempotencyStore', () => {
  const fresh = () => new IdempotencyStore(openStore(`test-${Math.random()}`, { log: silentLogger }), silentLogger);
  const codeOf = async (promise: Promise<unknown>) =>
    promise.then(
      () => 'resolved',
      (error: { extensions?: { code?: string } }) => error.extensions?.code,
    );

  it('does the work once and answers a repeat with the first outcome', async () => {
    const store = fresh();
    const work = jest.fn(async (reference: string) => ({ id: 'ord-1', reference }));
    const first = await store.once('acme', 'key-1', order, work);
    const again = await store.once('acme', 'key-1', { lines: [{ quantity: 2, sku: 'SKU-0001' }], customerId: 'cust-1' }, work);
    expect(again).toEqual(first);
    expect(work).toHaveBeenCalledTimes(1);
  });

  it('refuses the same key for a different request', async () => {
    const store = fresh();
    await store.once('acme', 'key-1', order, async () => 'done');
    expect(await codeOf(store.once('acme', 'key-1', { ...order, customerId: 'cust-2' }, async () => 'other'))).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('answers IN_PROGRESS while the first request with the key runs', async () => {
    const store = fresh();
    let finish: (value: string) => void = () => undefined;
    const first = store.once('acme', 'key-1', order, () => new Promise<string>((resolve) => (finish = resolve)));
    await new Promise((resolve) => setImmediate(resolve));
    expect(await codeOf(store.once('acme', 'key-1', order, async () => 'second'))).toBe('IDEMPOTENCY_KEY_IN_PROGRESS');
    finish('first');
    expect(await first).toBe('first');
  });

  it('forgets a failed attempt so the client can retry with the same key', async () => {
    const store = fresh();
    await expect(store.once('acme', 'key-1', order, async () => Promise.reject(new Error('ERP down')))).rejects.toThrow('ERP down');
    expect(await store.once('acme', 'key-1', order, async () => 'placed')).toBe('placed');
  });

  it('gives each client its own reference for the same key', async () => {
    const store = fresh();
    const a = await store.once('acme', 'key-1', order, async (reference) => reference);
    const b = await store.once('globex', 'key-1', order, async (reference) => reference);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describeWithRedis('IdempotencyStore over Redis', () => {
  it('is shared by two replicas', async () => {
    const namespace = `test-${process.pid}-${Date.now()}`;
    const stores = [openStore(namespace, { redisUrl, log: silentLogger }), openStore(namespace, { redisUrl, log: silentLogger })];
    try {
      const [a, b] = stores.map((store) => new IdempotencyStore(store, silentLogger)) as [IdempotencyStore, IdempotencyStore];
      const work = jest.fn(async () => 'ord-9');
      await a.once('acme', 'key-1', order, work);
      expect(await b.once('acme', 'key-1', order, work)).toBe('ord-9');
      expect(work).toHaveBeenCalledTimes(1);
    } finally {
      await Promise.all(stores.map((store) => store.disconnect()));
    }
  });
});
