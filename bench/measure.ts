import { cpuMs, watchPeakRss } from './process-stats';
import { profileWindow, type BenchProcess } from './processes';
import type { BenchStack } from './stack';
import type { RunningTarget, Target } from './targets';
import type { Workload } from './workloads';

/** One cell of the table. */
export interface Row {
  target: string;
  workload: string;
  latencyMs: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  gatewayCpuMsPerRequest?: number;
  /** Gateway and subgraphs, the stand-in backends left out: what an Atrium deployment pays for. */
  stackCpuMsPerRequest: number;
  /** Every service, the stand-in backends included. */
  allCpuMsPerRequest: number;
  gatewayPeakRssMiB?: number;
  /** By subgraph; absent when the run did not read them (a baseline's). */
  subgraphPeakRssMiB?: Record<string, number>;
  backendCallsPerRequest: number;
}

/** Gateway clients: what every cell is measured with. */
export const CONNECTIONS = 50;

const perService = (label: string, names: string[], values: number[], digits: number) =>
  `  ${label}: ${names.map((name, i) => `${name} ${(values[i] as number).toFixed(digits)}`).join(', ')}\n`;

/** Warms `running` up with `workload`, then measures it for `seconds`: throughput, latency, CPU and memory per service. */
export async function measure(
  stack: BenchStack,
  target: Target,
  running: RunningTarget,
  workload: Workload,
  latencyMs: number,
  seconds: number,
  warmup: number,
): Promise<Row> {
  await running.run(workload, { connections: CONNECTIONS, durationSeconds: warmup });
  const gateway = running.process;
  const ours = [...(gateway ? [gateway] : []), ...stack.subgraphs];
  const services = [...ours, ...stack.backends];
  const cpuEach = () => services.map((p) => cpuMs(p.pid));
  const cpuBefore = cpuEach();
  const callsBefore = await stack.businessCalls();
  const rss = ours.map((p) => watchPeakRss(p.pid));
  const profile = profileWindow(services, `${latencyMs}ms-${workload.name}-${target.name}`);
  const result = await running.run(workload, { connections: CONNECTIONS, durationSeconds: seconds });
  await profile.stop();
  const peaks = rss.map((watch) => watch.stop());
  const used = cpuEach().map((after, i) => after - (cpuBefore[i] as number));
  const callsAfter = await stack.businessCalls();
  const per = (n: number) => n / Math.max(1, result.requests);
  const sum = (list: number[]) => list.reduce((total, n) => total + n, 0);
  const names = (list: BenchProcess[]) => list.map((p) => p.name);
  // The detail behind the totals, for BENCHMARKS.md's findings; a later revision's `--baseline` parses the CPU line.
  process.stderr.write(perService('CPU ms/req by service', names(services), used.map(per), 2));
  process.stderr.write(perService('peak RSS MiB by service', names(ours), peaks, 0));
  const subgraphPeaks = peaks.slice(gateway ? 1 : 0);
  return {
    target: target.name,
    workload: workload.name,
    latencyMs,
    perSecond: result.perSecond,
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    errors: result.errors,
    gatewayCpuMsPerRequest: gateway ? per(used[0] as number) : undefined,
    stackCpuMsPerRequest: per(sum(used.slice(0, ours.length))),
    allCpuMsPerRequest: per(sum(used)),
    gatewayPeakRssMiB: gateway ? peaks[0] : undefined,
    subgraphPeakRssMiB: Object.fromEntries(stack.subgraphs.map((p, i) => [p.name, subgraphPeaks[i] as number])),
    backendCallsPerRequest: per(callsAfter - callsBefore),
  };
}
