import { scenarios } from '../../scripts/chaos/breaker';
import { startProcessStack, type ProcessStack } from '../../scripts/process-stack';

jest.setTimeout(120_000);

const [halfFailing, outage] = scenarios as [(typeof scenarios)[number], (typeof scenarios)[number]];

describe('the circuit breaker, with the built services as processes', () => {
  let stack: ProcessStack;
  beforeAll(async () => {
    stack = await startProcessStack({ env: halfFailing.stackEnv });
  });
  afterAll(() => stack?.stop());

  it('keeps the circuit closed and the orders of cold profiles while the ERP fails half its calls', async () => {
    const result = await halfFailing.run(stack);
    const kept = Number(/^(\d+)\/40 with orders/.exec(result.outcome)?.[1]);
    expect(kept).toBeGreaterThanOrEqual(34);
    expect(result.outcome).toContain('circuit closed');
    expect(result).toMatchObject({ requests: 40, serverErrors: 0, dropped: 0, passed: true });
  });

  it('opens the circuit when the ERP is down, and then answers partial profiles at once', async () => {
    const result = await outage.run(stack);
    expect(result.outcome).toMatch(/^circuit open after \d+ profiles; then 5 profiles in at most \d+ ms, each partial/);
    expect(result).toMatchObject({ serverErrors: 0, dropped: 0, passed: true });
  });
});
