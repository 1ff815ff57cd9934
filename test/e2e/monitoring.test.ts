import { newApiKey, writeKeyFile } from '../../gateway/auth/api-keys';
import { serveMetrics } from '../../platform/metrics';
import type { RunningService } from '../../platform/run';
import { captureLogger } from '../support/capture-logger';
import { startStack, type Stack } from '../support/stack';

const PROFILE =
  'query Profile($id: ID!) { customer(id: $id) { id email orders(first: 2) { id payment { cardLast4 } } preferences { language } supportTickets { id } } }';

/** The value of one series in Prometheus text, 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}{`) && wanted.every((label) => candidate.includes(label)));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('monitoring', () => {
  const logs = new Map<string, ReturnType<typeof captureLogger>>();
  let stack: Stack;
  let metrics: RunningService;
  beforeAll(async () => {
    stack = await startStack({
      logFor: (service) => {
        if (!logs.has(service)) logs.set(service, captureLogger(service));
        return (logs.get(service) as ReturnType<typeof captureLogger>).log;
      },
    });
    metrics = await serveMetrics(0, '127.0.0.1');
  });
  afterAll(async () => {
    await metrics?.stop();
    await stack?.stop();
  });
  const scrape = async () => (await fetch(metrics.url)).text();
  const linesWith = (requestId: string) =>
    Object.fromEntries([...logs].map(([service, { lines }]) => [service, lines.filter((line) => line.requestId === requestId)]));

  it('follows one request id from the client through the gateway, every subgraph and every backend', async () => {
    const token = await stack.token({ sub: 'cust-1', role: 'customer', scopes: 'customers:read pii:read orders:read preferences:read tickets:read' });
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const response = await fetch(stack.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-request-id': 'req-follow-me-1', traceparent },
      body: JSON.stringify({ query: PROFILE, variables: { id: 'cust-1' }, operationName: 'Profile' }),
    });
    expect(response.headers.get('x-request-id')).toBe('req-follow-me-1');
    expect(((await response.json()) as { errors?: unknown }).errors).toBeUndefined();
    const byService = linesWith('req-follow-me-1');
    for (const service of ['gateway', 'customers', 'orders', 'preferences', 'support-tickets', 'crm', 'erp', 'preference-service', 'helpdesk']) {
      expect({ service, logged: (byService[service]?.length ?? 0) > 0 }).toEqual({ service, logged: true });
    }
    expect(byService.erp?.every((line) => line.traceparent === traceparent)).toBe(true);
    const access = byService.gateway?.find((line) => line.msg === 'graphql operation');
    expect(access).toMatchObject({
      operation: 'Profile',
      client: 'atrium-tests',
      status: 200,
      errorCodes: [],
      subgraphs: ['customers', 'orders', 'preferences', 'support-tickets'],
    });
    expect(access?.durationMs).toEqual(expect.any(Number));
  });

  it('replaces a request id that is not plain text, and never echoes it', async () => {
    const response = await fetch(stack.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': '<script>alert(1)</script>' },
      body: '{}',
    });
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps tokens, emails, variables and card numbers out of every log', async () => {
    const token = await stack.token({ role: 'service', scopes: 'customers:read pii:read orders:read' });
    await stack.setFaults('erp', { errorRate: 1 });
    await stack.query(PROFILE, { id: 'cust-2', email: 'ada.secret@example.com' }, { authorization: `Bearer ${token}` });
    await stack.query('{ customer(id: "ada.secret@example.com") { id } }', undefined, { authorization: `Bearer ${token}` });
    await stack.setFaults('erp', { errorRate: 0 });
    const everything = JSON.stringify([...logs.values()].flatMap(({ lines }) => lines));
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(token.split('.')[2]);
    expect(everything).not.toMatch(/ada\.secret@example\.com|@example\.com/);
    // Card numbers as the ERP holds them (Visa, Mastercard, Amex); log timestamps are 13 digits too, but start with 1.
    expect(everything).not.toMatch(/\b(4\d{15}|5[1-5]\d{14}|3[47]\d{13})\b/);
  });

  it('moves the counters: operations, backend failures, rate-limit rejections and authentication failures', async () => {
    const before = await scrape();
    await stack.query(PROFILE, { id: 'cust-3' });
    await stack.setFaults('helpdesk', { errorRate: 1 });
    await stack.query(PROFILE, { id: 'cust-4' });
    await stack.setFaults('helpdesk', { errorRate: 0 });
    const { key, record } = newApiKey(`metrics-${Date.now()}`, ['customers:read'], { ratePerSecond: 1, burst: 1, dailyQuota: 0 });
    writeKeyFile(stack.apiKeysFile, [record]);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    for (let i = 0; i < 2; i += 1) await stack.query('{ customer(id: "cust-5") { id } }', undefined, { 'x-api-key': key });
    await fetch(stack.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
    const after = await scrape();

    const delta = (name: string, labels: Record<string, string>) => sample(after, name, labels) - sample(before, name, labels);
    expect(delta('atrium_gateway_operations_total', { operation: 'Profile', outcome: 'ok' })).toBe(1);
    expect(delta('atrium_gateway_operations_total', { operation: 'Profile', outcome: 'error' })).toBe(1);
    expect(delta('atrium_backend_calls_total', { backend: 'helpdesk', operation: 'GetTicketsByCustomerIds', outcome: 'unavailable' })).toBe(1);
    expect(delta('atrium_backend_calls_total', { backend: 'CRM', outcome: 'ok' })).toBeGreaterThanOrEqual(2);
    expect(delta('atrium_gateway_rate_limit_rejections_total', { client: record.clientId })).toBe(1);
    expect(delta('atrium_gateway_authentication_failures_total', { reason: 'missing' })).toBe(1);
    expect(sample(after, 'atrium_backend_circuit_state', { backend: 'ERP' })).toBe(0);
    expect(after).toContain('atrium_gateway_operation_duration_seconds_bucket');
    expect(after).toContain('atrium_gateway_subgraph_fetch_duration_seconds_bucket{le="0.005",subgraph="orders",outcome="ok"}');
    // Node's process metrics under their standard names, as stock dashboards chart them.
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes'])
      expect(after).toMatch(new RegExp(`^${name} `, 'm'));
    expect(after).not.toContain('atrium_process_');
    // Bounded labels: no customer id ever becomes a label value.
    expect(after).not.toMatch(/cust-\d+/);
  });
});
