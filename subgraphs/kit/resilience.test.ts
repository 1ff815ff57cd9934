import { createServer, type Server } from 'node:http';
import { closeServer, listen } from '../../platform/http';
import { silentLogger } from '../../platform/log';
import { circuitReadiness, defaultResilience, type ResilienceSettings } from './resilience';
import { RestClient } from './rest-client';

/** A backend that answers from a script, one entry per call (the last one repeats), counting calls. */
async function startScripted(script: Array<{ status: number; headers?: Record<string, string>; delayMs?: number }>) {
  let calls = 0;
  const server: Server = createServer((req, res) => {
    const step = script[Math.min(calls, script.length - 1)] as (typeof script)[number];
    calls += 1;
    req.resume();
    setTimeout(() => {
      res.writeHead(step.status, { 'content-type': 'application/json', ...step.headers });
      res.end('{}');
    }, step.delayMs ?? 0);
  });
  const url = await listen(server, 0, '127.0.0.1');
  return { url, calls: () => calls, stop: () => closeServer(server) };
}

const settings = (overrides: Partial<ResilienceSettings> = {}): ResilienceSettings => ({
  ...defaultResilience,
  backoffInitialMs: 5,
  backoffMaxMs: 2_000,
  ...overrides,
});

describe('backend resilience policy', () => {
  const clients: RestClient[] = [];
  const stops: Array<() => Promise<void>> = [];
  const client = (url: string, overrides?: Partial<ResilienceSettings>) => {
    const created = new RestClient({ backend: 'CRM', baseUrl: url, connections: 4, resilience: settings(overrides), log: silentLogger });
    clients.push(created);
    return created;
  };
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(stops.splice(0).map((stop) => stop()));
  });

  it("waits as long as the backend's Retry-After asks before retrying", async () => {
    const backend = await startScripted([{ status: 503, headers: { 'retry-after': '1' } }, { status: 200 }]);
    stops.push(backend.stop);
    const started = performance.now();
    await client(backend.url).send('GET', '/customers');
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(backend.calls()).toBe(2);
  });

  it('never repeats a POST the backend cannot deduplicate', async () => {
    const backend = await startScripted([{ status: 500 }]);
    stops.push(backend.stop);
    await expect(client(backend.url).send('POST', '/orders', { json: {} })).rejects.toMatchObject({ extensions: { code: 'BACKEND_UNAVAILABLE' } });
    expect(backend.calls()).toBe(1);
  });

  it('repeats a read up to the retry budget', async () => {
    const backend = await startScripted([{ status: 500 }]);
    stops.push(backend.stop);
    await expect(client(backend.url, { retries: 3 }).send('GET', '/customers')).rejects.toMatchObject({ extensions: { code: 'BACKEND_UNAVAILABLE' } });
    expect(backend.calls()).toBe(4);
  });

  it('opens the circuit when most calls over the window fail, and then fails without calling', async () => {
    const backend = await startScripted([{ status: 500 }]);
    stops.push(backend.stop);
    const crm = client(backend.url, { retries: 0, breakerWindowMs: 1_000, breakerMinRps: 3, breakerHalfOpenMs: 60_000 });
    // Three calls in a second are enough to judge by; all of them failed.
    for (let i = 0; i < 3; i += 1) await crm.send('GET', '/customers').catch(() => undefined);
    expect(crm.policy.circuit).toBe('open');
    await expect(crm.send('GET', '/customers')).rejects.toThrow('CRM is unavailable (circuit open); try again later');
    expect(backend.calls()).toBe(3);
  });

  it('is not ready while the open circuit refuses calls, ready again once its trial is due, until the trial fails', async () => {
    const backend = await startScripted([{ status: 500 }]);
    stops.push(backend.stop);
    const crm = client(backend.url, { retries: 0, breakerWindowMs: 1_000, breakerMinRps: 3, breakerHalfOpenMs: 300 });
    const readiness = circuitReadiness(crm.policy);
    for (let i = 0; i < 3; i += 1) await crm.send('GET', '/customers').catch(() => undefined);
    expect(readiness()).toEqual({ ready: false, reason: 'CRM circuit open: the backend is failing' });
    await new Promise((resolve) => setTimeout(resolve, 350));
    // Still open (it half-opens only on a call), but ready: a balancer must send the request that tries the backend.
    expect(crm.policy.circuit).toBe('open');
    expect(readiness()).toEqual({ ready: true });
    await crm.send('GET', '/customers').catch(() => undefined);
    expect(backend.calls()).toBe(4);
    expect(readiness().ready).toBe(false);
  });

  it('keeps the circuit closed when retries rescue the calls, however many attempts fail in a row', async () => {
    // Each call fails five attempts in a row and succeeds on its sixth: a breaker counting attempts would open.
    const backend = await startScripted(Array.from({ length: 60 }, (_, i) => ({ status: i % 6 === 5 ? 200 : 500 })));
    stops.push(backend.stop);
    const crm = client(backend.url, { retries: 5, backoffMaxMs: 5 });
    for (let i = 0; i < 10; i += 1) await crm.send('GET', '/customers');
    expect(crm.policy.circuit).toBe('closed');
    expect(backend.calls()).toBe(60);
  });

  it('sends nothing for a request that is already gone, and does not count it against the circuit', async () => {
    const backend = await startScripted([{ status: 200 }]);
    stops.push(backend.stop);
    const crm = client(backend.url, { retries: 0, breakerWindowMs: 1_000, breakerMinRps: 1 });
    const gone = AbortSignal.abort();
    for (let i = 0; i < 5; i += 1)
      await expect(crm.send('GET', '/customers', { signal: gone })).rejects.toMatchObject({ extensions: { code: 'DEADLINE_EXCEEDED' } });
    expect(backend.calls()).toBe(0);
    expect(crm.policy.circuit).toBe('closed');
  });

  it('ends a call the moment its request ends, with no retry after, even from a backoff', async () => {
    const backend = await startScripted([{ status: 503, headers: { 'retry-after': '1' } }, { status: 200 }]);
    stops.push(backend.stop);
    const started = performance.now();
    // The backend asks for a 1 s wait before the retry; the request's deadline comes first, at 200 ms.
    const outcome = client(backend.url, { retries: 3 }).send('GET', '/customers', { signal: AbortSignal.timeout(200) });
    await expect(outcome).rejects.toMatchObject({ extensions: { code: 'DEADLINE_EXCEEDED' } });
    expect(performance.now() - started).toBeLessThan(900);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(backend.calls()).toBe(1);
  });

  it('aborts an attempt in flight when its request ends, and frees its bulkhead slot', async () => {
    const backend = await startScripted([{ status: 200, delayMs: 600 }, { status: 200 }]);
    stops.push(backend.stop);
    const crm = client(backend.url, { retries: 2, bulkheadLimit: 1, bulkheadQueue: 0 });
    const request = new AbortController();
    const slow = crm.send('GET', '/customers', { signal: request.signal });
    setTimeout(() => request.abort(), 100);
    await expect(slow).rejects.toMatchObject({ extensions: { code: 'DEADLINE_EXCEEDED' } });
    // The only slot is free again at once: the next call does not wait for the slow answer.
    await expect(crm.send('GET', '/customers')).resolves.toMatchObject({ status: 200 });
    expect(backend.calls()).toBe(2);
  });

  it('turns calls beyond the bulkhead and its queue away at once', async () => {
    const backend = await startScripted([{ status: 200, delayMs: 300 }]);
    stops.push(backend.stop);
    const crm = client(backend.url, { retries: 0, bulkheadLimit: 2, bulkheadQueue: 1 });
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => crm.send('GET', '/customers')));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(3);
    expect(outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason.message)).toEqual([
      'CRM is unavailable (too many calls waiting); try again later',
      'CRM is unavailable (too many calls waiting); try again later',
    ]);
  });
});
