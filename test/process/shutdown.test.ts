import { startProcessStack, type ProcessStack } from '../../scripts/process-stack';
import { drainedCleanly, signalUnderLoad } from '../../scripts/chaos/shutdown';

jest.setTimeout(180_000);

describe('shutdown under load, in real processes', () => {
  let stack: ProcessStack;
  beforeAll(async () => {
    stack = await startProcessStack();
  });
  afterAll(() => stack?.stop());

  it.each([
    ['gateway', 'SIGTERM'],
    ['orders', 'SIGTERM'],
    ['erp', 'SIGINT'],
  ] as const)('%s on %s: answers all 20 in flight, withdraws readiness, refuses new connections, exits 0', async (service, signal) => {
    const report = await signalUnderLoad(stack, service, signal);
    expect(report).toMatchObject({
      withOrders: 20,
      serverErrors: 0,
      dropped: 0,
      readyDuringDrain: { status: 503, reason: 'shutting down', connectionClose: true },
      refusedDuringDrain: true,
      exit: { code: 0, signal: null },
    });
    expect(drainedCleanly(report)).toBe(true);
    expect(stack.logs().filter((line) => line.service === service && (line.level ?? 0) >= 50)).toEqual([]);
  });
});
