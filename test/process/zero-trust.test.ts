import { scenarios, tokenMatrix } from '../../scripts/chaos/zero-trust';
import { startProcessStack, type ProcessStack } from '../../scripts/process-stack';
import type { ScenarioResult } from '../../scripts/chaos/scenario';
import { SCOPES } from '../../platform/identity';

jest.setTimeout(180_000);

describe('zero trust between the gateway and each subgraph (built services as processes)', () => {
  let stack: ProcessStack;
  const run = (name: string): Promise<ScenarioResult> => {
    const scenario = scenarios.find((candidate) => candidate.name === name);
    if (!scenario) throw new Error(`no scenario "${name}"`);
    return scenario.run(stack);
  };

  beforeAll(async () => {
    stack = await startProcessStack();
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('a token captured on its way to orders is refused by every other subgraph', async () => {
    expect(await run('captured internal token replayed at the other subgraphs')).toEqual({
      requests: 5,
      serverErrors: 0,
      dropped: 0,
      doubleBooked: 0,
      outcome: 'customers 401, orders 200, preferences 401, support-tickets 401',
      passed: true,
    });
  });

  it('the gateway gives each subgraph its own token, and each subgraph takes no other', async () => {
    expect(await run('each subgraph takes only the token naming it')).toMatchObject({ requests: 17, serverErrors: 0, dropped: 0, passed: true });
    const matrix = await tokenMatrix(stack, { subject: 'svc', clientId: 'svc', role: 'service', scopes: [...SCOPES], via: 'oauth' });
    for (const [token, row] of Object.entries(matrix)) {
      for (const [subgraph, status] of Object.entries(row))
        expect({ token, subgraph, status }).toEqual({ token, subgraph, status: token === subgraph ? 200 : 401 });
    }
  });

  it('every scenario of the file is covered here', () => {
    expect(scenarios.map((scenario) => scenario.name)).toEqual([
      'captured internal token replayed at the other subgraphs',
      'each subgraph takes only the token naming it',
    ]);
  });
});
