import { startProcessStack, type ProcessStack } from '../../scripts/process-stack';
import { GATEWAY_TARGET, HOSTILE_ENV, runCorpus, scenarios, SUBGRAPH_TARGET } from '../../scripts/chaos/hostile';
import { hostileRequests } from '../corpus/hostile-requests';

jest.setTimeout(240_000);

describe('hostile clients, out of process (production environment)', () => {
  let stack: ProcessStack;
  beforeAll(async () => {
    stack = await startProcessStack({ env: HOSTILE_ENV });
  });
  afterAll(() => stack?.stop());

  it('keeps a corpus of at least 200 named cases', () => {
    const names = hostileRequests(GATEWAY_TARGET).map((hostile) => hostile.name);
    expect(names.length).toBeGreaterThanOrEqual(200);
    expect(new Set(names).size).toBe(names.length);
  });

  it.each(scenarios.map((scenario) => [scenario.name, scenario] as const))('%s', async (_name, scenario) => {
    const result = await scenario.run(stack);
    // The outcome says what was measured, so a failure shows the figure.
    expect(result.passed ? 'passed' : result.outcome).toBe('passed');
    expect({ serverErrors: result.serverErrors, dropped: result.dropped }).toEqual({ serverErrors: 0, dropped: 0 });
  });

  it('answers every corpus case at the gateway and at a subgraph as expected, and never logs an error for it', async () => {
    const from = stack.logs().length;
    const gatewayToken = await stack.token({ role: 'service', scopes: 'customers:read tickets:read' });
    const gateway = await runCorpus(new URL(stack.gatewayUrl).origin, GATEWAY_TARGET, { authorization: `Bearer ${gatewayToken}` });
    const internal = await stack.internalToken(
      {
        subject: 'corpus',
        clientId: 'corpus',
        role: 'service',
        scopes: ['customers:read', 'tickets:read'],
        via: 'oauth',
      },
      'support-tickets',
    );
    const subgraph = await runCorpus(new URL(stack.subgraphUrls['support-tickets'] ?? '').origin, SUBGRAPH_TARGET, { authorization: `Bearer ${internal}` });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect({ gateway: gateway.misses, subgraph: subgraph.misses }).toEqual({ gateway: [], subgraph: [] });
    expect(gateway.serverErrors + subgraph.serverErrors).toBe(0);
    expect(
      stack
        .logs()
        .slice(from)
        .filter((line) => (line.level ?? 0) >= 50)
        .map((line) => line.text),
    ).toEqual([]);
  });
});
