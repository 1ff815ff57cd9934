import { startProcessStack, type ProcessStack } from '../../scripts/process-stack';
import { signalUnderLoad } from '../../scripts/chaos/shutdown';

jest.setTimeout(180_000);

describe('shutdown of a gateway cluster (GATEWAY_WORKERS=2), in real processes', () => {
  let stack: ProcessStack;
  beforeAll(async () => {
    stack = await startProcessStack({ serviceEnv: { gateway: { GATEWAY_WORKERS: '2' } } });
  });
  afterAll(() => stack?.stop());

  it('SIGTERM to the primary: every worker drains, all 20 in flight answered, the primary exits 0', async () => {
    const report = await signalUnderLoad(stack, 'gateway', 'SIGTERM');
    expect(report).toMatchObject({
      withOrders: 20,
      dropped: 0,
      readyDuringDrain: { status: 503, reason: 'shutting down', connectionClose: true },
      refusedDuringDrain: true,
      exit: { code: 0, signal: null },
    });
    expect(stack.logs().filter((line) => line.service === 'gateway' && (line.level ?? 0) >= 50)).toEqual([]);
  });
});
