import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../platform/http';
import type { Identity } from '../../platform/identity';
import { silentLogger } from '../../platform/log';
import { openDurableStore } from '../../platform/store';
import { describeWithRedis, redisUrl } from '../../test/support/redis';
import { viewer } from '../../test/support/viewers';
import { IdempotencyStore } from './idempotency';

const order = { customerId: 'cust-1', lines: [{ sku: 'SKU-0001', quantity: 2 }] };
const acme: Identity = { ...viewer('service'), clientId: 'acme', subject: 'acme' };
const customerOf = (clientId: string, subject: string): Identity => ({ ...viewer('customer', subject), clientId });

describe('IdempotencyStore', () => {
  let dataDir: string;
  const opened: IdempotencyStore[] = [];
  const durable = (namespace = 'orders-idempotency') => {
    const store = new IdempotencyStore(openDurableStore(namespace, { dataDir, log: silentLogger }), silentLogger);
    opened.push(store);
    return store;
  };
  const fresh = () => durable(`test-${Math.random()}`);
  const codeOf = async (promise: Promise<unknown>) =>
    promise.then(
      () => 'resolved',
      (error: { extensions?: { code?: string } }) => error.extensions?.code,
    );
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'atrium-idempotency-'));
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('does the work once and answers a repeat with the first outcome', async () => {
    const store = fresh();
    const work = jest.fn(async (reference: string) => ({ id: 'ord-1', reference }));
    const first = await store.once(acme, 'key-1', order, work);
    const again = await store.once(acme, 'key-1', { lines: [{ quantity: 2, sku: 'SKU-0001' }], customerId: 'cust-1' }, work);
    expect(again).toEqual(first);
    expect(work).toHaveBeenCalledTimes(1);
  });

  it('refuses the same key for a different request', async () => {
    const store = fresh();
    await store.once(acme, 'key-1', order, async () => 'done');
    expect(await codeOf(store.once(acme, 'key-1', { ...order, customerId: 'cust-2' }, async () => 'other'))).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('answers IN_PROGRESS while the first request with the key runs', async () => {
    const store = fresh();
    let finish: (value: string) => void = () => undefined;
    const first = store.once(acme, 'key-1', order, () => new Promise<string>((resolve) => (finish = resolve)));
    const second = jest.fn(async () => 'second');
    // Sent together: the second never reaches the backend, whether or not the first's record is written yet.
    expect(await codeOf(store.once(acme, 'key-1', order, second))).toBe('IDEMPOTENCY_KEY_IN_PROGRESS');
    expect(second).not.toHaveBeenCalled();
    await new Promise((resolve) => setImmediate(resolve));
    finish('first');
    expect(await first).toBe('first');
  });

  it('forgets a failed attempt so the client can retry with the same key', async () => {
    const store = fresh();
    await expect(store.once(acme, 'key-1', order, async () => Promise.reject(new Error('ERP down')))).rejects.toThrow('ERP down');
    expect(await store.once(acme, 'key-1', order, async () => 'placed')).toBe('placed');
  });

  it('gives each client its own reference for the same key', async () => {
    const store = fresh();
    const a = await store.once(acme, 'key-1', order, async (reference) => reference);
    const b = await store.once({ ...acme, clientId: 'globex' }, 'key-1', order, async (reference) => reference);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('gives two customers of one client their own record and reference for the same key', async () => {
    const store = fresh();
    const a = await store.once(customerOf('shop', 'cust-1'), 'key-1', { ...order, customerId: 'cust-1' }, async (reference) => reference);
    const b = await store.once(customerOf('shop', 'cust-2'), 'key-1', { ...order, customerId: 'cust-2' }, async (reference) => reference);
    expect(a).not.toBe(b);
  });

  it('finds the record with a refreshed token carrying other scopes', async () => {
    const store = fresh();
    const work = jest.fn(async () => 'ord-1');
    await store.once(acme, 'key-1', order, work);
    expect(await store.once({ ...acme, scopes: ['orders:write'] }, 'key-1', order, work)).toBe('ord-1');
    expect(work).toHaveBeenCalledTimes(1);
  });

  it('keeps its records on disk: a new process over the same data folder answers the same', async () => {
    const before = durable();
    const work = jest.fn(async () => 'ord-7');
    await before.once(acme, 'key-1', order, work);
    await before.close();
    opened.splice(opened.indexOf(before), 1);
    const after = durable();
    expect(await after.once(acme, 'key-1', order, work)).toBe('ord-7');
    expect(await codeOf(after.once(acme, 'key-1', { ...order, customerId: 'cust-9' }, work))).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(work).toHaveBeenCalledTimes(1);
  });

  it('makes the key unavailable, and does nothing, while its Redis is unreachable', async () => {
    // Nothing listens on a free port: the store's calls fail as in a Redis outage.
    const store = new IdempotencyStore(
      openDurableStore('outage', { redisUrl: `redis://127.0.0.1:${await freePort()}`, dataDir, log: silentLogger }),
      silentLogger,
    );
    opened.push(store);
    const work = jest.fn(async () => 'ord-1');
    expect(await codeOf(store.once(acme, 'key-1', order, work))).toBe('IDEMPOTENCY_UNAVAILABLE');
    expect(work).not.toHaveBeenCalled();
  });
});

describeWithRedis('IdempotencyStore over Redis', () => {
  it('is shared by two replicas', async () => {
    const namespace = `test-${process.pid}-${Date.now()}`;
    const stores = [0, 1].map(() => openDurableStore(namespace, { redisUrl, dataDir: tmpdir(), log: silentLogger }));
    try {
      const [a, b] = stores.map((store) => new IdempotencyStore(store, silentLogger)) as [IdempotencyStore, IdempotencyStore];
      const work = jest.fn(async () => 'ord-9');
      await a.once(acme, 'key-1', order, work);
      expect(await b.once(acme, 'key-1', order, work)).toBe('ord-9');
      expect(work).toHaveBeenCalledTimes(1);
    } finally {
      await Promise.all(stores.map((store) => store.disconnect()));
    }
  });
});
