import { sendJson } from '../../platform/http';
import { silentLogger } from '../../platform/log';
import { startBackend, withLatency, type RunningBackend } from '../../test/support/legacy';
import { faultsFromEnv, noFaults } from './faults';
import { createLegacyServer } from './legacy-server';
import { CallStats } from './stats';

/**
 * A minimal backend on the shared legacy server: `GET /ping` and `GET /pong` are counted business calls,
 * `POST /echo` reads the body, `GET /boom` fails inside the handler.
 */
function createPingServer() {
  const stats = new CallStats();
  return createLegacyServer({
    name: 'ping',
    stats,
    log: silentLogger,
    faults: noFaults,
    failure: (res, message) => sendJson(res, 500, { error: 'server_error', message }),
    async handle(req, res, { url, body }) {
      if (url.pathname === '/boom') throw new Error('handler bug');
      if (url.pathname === '/echo') return sendJson(res, 200, { echoed: (await body()).length });
      const operation = url.pathname.slice(1);
      stats.count(operation);
      sendJson(res, 200, { operation });
    },
  });
}

describe('legacy server kit', () => {
  let ping: RunningBackend;

  beforeAll(async () => {
    ping = await startBackend(() => createPingServer());
  });
  afterAll(() => ping.stop());
  beforeEach(() => ping.restore());

  const get = (path: string) => fetch(`${ping.url}${path}`);
  const postFaults = (body: string) => fetch(`${ping.url}/_admin/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  it('answers /health and /ready with the service name', async () => {
    const health = await get('/health');
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', service: 'ping' });
    expect(await (await get('/ready')).json()).toEqual({ status: 'ready', service: 'ping' });
  });

  it('counts business calls by operation, and neither health nor admin calls', async () => {
    await get('/pong');
    await get('/ping');
    await get('/pong');
    await get('/health');
    await get('/_admin/faults');
    const stats = await get('/_admin/stats');
    expect(stats.status).toBe(200);
    expect(await stats.json()).toEqual({ total: 3, calls: { ping: 1, pong: 2 } });
  });

  it('zeroes the counters on POST /_admin/reset', async () => {
    await get('/ping');
    const reset = await fetch(`${ping.url}/_admin/reset`, { method: 'POST' });
    expect(reset.status).toBe(200);
    expect(await reset.json()).toEqual({ total: 0, calls: {} });
    expect(await ping.stats()).toEqual({ total: 0, calls: {} });
  });

  it('shows the faults and applies a partial update, leaving the start-up settings object alone', async () => {
    expect(await (await get('/_admin/faults')).json()).toEqual(noFaults);
    const update = await postFaults(JSON.stringify({ errorRate: 0.25 }));
    expect(update.status).toBe(200);
    expect(await update.json()).toEqual({ latencyMs: 0, errorRate: 0.25, down: false, dropResponseRate: 0 });
    expect(await (await get('/_admin/faults')).json()).toEqual({ latencyMs: 0, errorRate: 0.25, down: false, dropResponseRate: 0 });
    expect(ping.backend.faults.errorRate).toBe(0.25);
    expect(noFaults).toEqual({ latencyMs: 0, errorRate: 0, down: false, dropResponseRate: 0 });
  });

  it('refuses a faults body that is not JSON with a 400 and changes nothing', async () => {
    const response = await postFaults('{"down": tru');
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toMatchObject({ error: 'invalid_json' });
    expect(await (await get('/_admin/faults')).json()).toEqual(noFaults);
  });

  it.each([
    ['an error rate above 1', { latencyMs: 10, errorRate: 2 }, /errorRate/],
    ['a negative latency', { latencyMs: -5, down: true }, /latencyMs/],
    ['a fractional latency', { latencyMs: 1.5 }, /latencyMs/],
    ['a down flag that is not a boolean', { latencyMs: 10, down: 'yes' }, /down/],
    ['an unknown setting', { latencyMs: 10, crash: true }, /crash/],
    ['an array', [{ latencyMs: 10 }], /body/],
  ])('refuses %s with a 400 naming the setting, and applies none of it', async (_case, body, named) => {
    const response = await postFaults(JSON.stringify(body));
    expect(response.status).toBe(400);
    const answer = (await response.json()) as { error: string; message: string };
    expect(answer.error).toBe('invalid_faults');
    expect(answer.message).toMatch(named);
    expect(await (await get('/_admin/faults')).json()).toEqual(noFaults);
  });

  it('answers every business call with the backend failure at errorRate 1, and keeps admin and health working', async () => {
    await ping.setFaults({ errorRate: 1 });
    for (let i = 0; i < 3; i++) {
      const response = await get('/ping');
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ error: 'server_error', message: 'injected fault' });
    }
    expect((await get('/health')).status).toBe(200);
    expect(await ping.stats()).toEqual({ total: 0, calls: {} });
    await ping.setFaults({ errorRate: 0 });
    expect((await get('/ping')).status).toBe(200);
  });

  it('does the work but loses the answer at dropResponseRate 1', async () => {
    await ping.setFaults({ dropResponseRate: 1 });
    await expect(get('/ping')).rejects.toThrow('fetch failed');
    await ping.setFaults({ dropResponseRate: 0 });
    expect(await ping.stats()).toEqual({ total: 1, calls: { ping: 1 } });
  });

  it('drops the connection of every business call while down, and comes back when told', async () => {
    await ping.setFaults({ down: true, dropResponseRate: 0 });
    await expect(get('/ping')).rejects.toThrow('fetch failed');
    expect((await get('/health')).status).toBe(200);
    expect(await (await get('/_admin/faults')).json()).toEqual({ latencyMs: 0, errorRate: 0, down: true, dropResponseRate: 0 });
    await ping.setFaults({ down: false, dropResponseRate: 0 });
    expect((await get('/ping')).status).toBe(200);
    expect(await ping.stats()).toEqual({ total: 1, calls: { ping: 1 } });
  });

  it('delays business calls by latencyMs but not health checks', async () => {
    const { outcome, elapsedMs } = await withLatency(ping, 150, async () => {
      const health = performance.now();
      expect((await get('/health')).status).toBe(200);
      const healthMs = performance.now() - health;
      const response = await get('/ping');
      return { healthMs, status: response.status };
    });
    expect(outcome).toMatchObject({ status: 'fulfilled', value: { status: 200 } });
    expect(elapsedMs).toBeGreaterThanOrEqual(145);
    expect((outcome as PromiseFulfilledResult<{ healthMs: number }>).value.healthMs).toBeLessThan(140);
  });

  it('answers a failing handler with the backend failure', async () => {
    const response = await get('/boom');
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: 'server_error', message: 'internal error' });
  });

  it('refuses a business body over 1 MiB with a 413', async () => {
    const small = await fetch(`${ping.url}/echo`, { method: 'POST', body: 'x'.repeat(1000) });
    expect(await small.json()).toEqual({ echoed: 1000 });
    const large = await fetch(`${ping.url}/echo`, { method: 'POST', body: 'x'.repeat(1024 * 1024 + 1) });
    expect(large.status).toBe(413);
    expect(await large.json()).toMatchObject({ error: 'body_too_large' });
  });
});

describe('CallStats', () => {
  it('totals the calls and lists operations in name order', () => {
    const stats = new CallStats();
    stats.count('b');
    stats.count('a');
    stats.count('b');
    expect(JSON.stringify(stats)).toBe('{"total":3,"calls":{"a":1,"b":2}}');
    stats.reset();
    expect(stats.toJSON()).toEqual({ total: 0, calls: {} });
  });
});

describe('faultsFromEnv', () => {
  it('defaults to no faults', () => {
    expect(faultsFromEnv('CRM', {})).toEqual(noFaults);
  });

  it('reads the prefixed variables', () => {
    expect(faultsFromEnv('ERP', { ERP_LATENCY_MS: '250', ERP_ERROR_RATE: '0.5', ERP_DOWN: 'on', ERP_DROP_RESPONSE_RATE: '0.3', CRM_DOWN: 'true' })).toEqual({
      latencyMs: 250,
      errorRate: 0.5,
      down: true,
      dropResponseRate: 0.3,
    });
  });

  it('refuses bad values, naming each variable', () => {
    const read = () => faultsFromEnv('HELPDESK', { HELPDESK_LATENCY_MS: 'slow', HELPDESK_ERROR_RATE: '2', HELPDESK_DOWN: 'maybe' });
    expect(read).toThrow(/HELPDESK_LATENCY_MS/);
    expect(read).toThrow(/HELPDESK_ERROR_RATE/);
    expect(read).toThrow(/HELPDESK_DOWN/);
  });
});
