import { scenarios } from '../../scripts/chaos/cost';
import { startProcessStack, type ProcessStack } from '../../scripts/process-stack';

jest.setTimeout(180_000);

describe('operation cost, out of process', () => {
  let stack: ProcessStack;
  beforeAll(async () => {
    stack = await startProcessStack();
  });
  afterAll(() => stack?.stop());

  const outcomes: Record<string, string> = {};
  it.each(scenarios.map((scenario) => [scenario.name, scenario] as const))('%s', async (_name, scenario) => {
    const result = await scenario.run(stack);
    outcomes[scenario.name] = result.outcome;
    expect(result).toMatchObject({ serverErrors: 0, dropped: 0, doubleBooked: 0 });
    expect(result.passed).toBe(true);
  });

  it('refused every attack with exact figures and logged no error', () => {
    expect(outcomes['cost: list sizes in variables']).toMatch(/^attacks 6\/6 refused COST_LIMIT_EXCEEDED, 0 ERP calls; profiles 10\/10 with orders/);
    expect(outcomes['cost: an operation above the burst']).toBe('2/2 refused COST_LIMIT_EXCEEDED, 0/2 admitted, 0 backend calls');
    expect(outcomes['cost: straight to a subgraph']).toBe('huge 400 COST_LIMIT_EXCEEDED, deep 400 GRAPHQL_VALIDATION_FAILED, 0 ERP calls; planned fetch 200');
    expect(stack.logs().filter((line) => (line.level ?? 0) >= 50)).toEqual([]);
  });
});
