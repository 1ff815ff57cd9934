import { parseBaselineOutput } from './baseline-output';

const backends = new Set(['crm', 'erp', 'preference-service', 'helpdesk']);
const options = { target: 'baseline f9671ae', backends };

// What f9671ae's `node dist/bench/run.js --targets atrium --workloads profile --latencies 0 --uncached-only` prints.
const stdout = `| backend latency | workload | req/s: Atrium / stock @apollo/gateway | req/s: Atrium / Hive Gateway | gateway CPU per request: stock / Atrium | gateway CPU per request: Hive / Atrium |
| --- | --- | ---: | ---: | ---: | ---: |
| 0 ms | profile | — | — | — | — |

| backend latency | workload | target | req/s | p50 ms | p99 ms | errors | gateway CPU ms/req | stack CPU ms/req | gateway peak RSS MiB | backend calls/req |
| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
| 0 ms | profile | atrium | 67 | 636 | 1208 | 0 | 4.63 | 18.46 | 232 | 4.43 |
`;
const stderr = `  CPU ms/req by service: atrium 4.63, customers 2.04, orders 4.03, preferences 1.94, support-tickets 3.28, crm 0.40, erp 1.00, preference-service 0.40, helpdesk 0.75
| 0 ms | profile | atrium | 67 | 636 | 1208 | 0 | 4.63 | 18.46 | 232 | 4.43 |
`;

describe('parseBaselineOutput', () => {
  it('reads a row of f9671ae and sums the gateway and subgraphs apart from the backends', () => {
    const [row, ...rest] = parseBaselineOutput(stdout, stderr, options);
    expect(rest).toEqual([]);
    expect(row).toEqual({
      target: 'baseline f9671ae',
      workload: 'profile',
      latencyMs: 0,
      perSecond: 67,
      p50Ms: 636,
      p99Ms: 1208,
      errors: 0,
      gatewayCpuMsPerRequest: 4.63,
      stackCpuMsPerRequest: expect.closeTo(4.63 + 2.04 + 4.03 + 1.94 + 3.28, 6),
      allCpuMsPerRequest: expect.closeTo(18.47, 6),
      gatewayPeakRssMiB: 232,
      backendCallsPerRequest: 4.43,
    });
  });

  it('finds columns by name, so a later revision may add and reorder them', () => {
    const later = `| target | backend latency | workload | errors | p99 ms | p50 ms | req/s | gateway CPU ms/req | new column | backend calls/req |
| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
| atrium | 20 ms | list-50 | 1 | 300 | 200 | 150 | 2.5 | x | 0.09 |
| atrium | 20 ms | profile | 0 | 90 | 40 | 400 | 1.5 | y | 4.00 |
`;
    const cpu = `  CPU ms/req by service: atrium 2.50, customers 1.00, crm 0.50
  CPU ms/req by service: atrium 1.50, orders 2.00, erp 1.00
`;
    const rows = parseBaselineOutput(later, cpu, options);
    expect(rows.map((r) => [r.workload, r.latencyMs, r.perSecond, r.p50Ms, r.p99Ms, r.errors, r.stackCpuMsPerRequest, r.gatewayPeakRssMiB])).toEqual([
      ['list-50', 20, 150, 200, 300, 1, 3.5, undefined],
      ['profile', 20, 400, 40, 90, 0, 3.5, undefined],
    ]);
  });

  it('refuses output whose CPU lines do not match its rows', () => {
    expect(() => parseBaselineOutput(stdout, '', options)).toThrow('the baseline printed 1 table rows and 0 "CPU ms/req by service" lines');
  });

  it('refuses output without a measurements table, or missing a column it needs', () => {
    expect(() => parseBaselineOutput('no table here', stderr, options)).toThrow('no table with "target" and "req/s" columns');
    const withoutErrors = stdout.replaceAll(' errors |', ' mistakes |');
    expect(() => parseBaselineOutput(withoutErrors, stderr, options)).toThrow('the baseline\'s table has no "errors" column');
  });
});
