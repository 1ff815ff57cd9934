import type { LoadResult } from './load';
import { CONNECTIONS } from './measure';
import { watchPeakRss } from './process-stats';
import { profileWindow } from './processes';
import { fixed, markdownTable, ratio } from './report';
import type { BenchStack } from './stack';
import { atrium } from './targets';
import { WORKLOADS, type Workload } from './workloads';

/** How much more than the sustained load the overload run offers. */
const OVERLOAD_FACTOR = 4;

/** One run of the overload mode: the load offered and how the gateway answered it. */
export interface OverloadRun {
  connections: number;
  result: LoadResult;
  gatewayPeakRssMiB: number;
}

/**
 * `npm run bench -- --overload`: Atrium under the profile workload at the load the stack sustains (`CONNECTIONS`
 * back to back), then offered `OVERLOAD_FACTOR` times the requests per second it sustained, over as many times the
 * connections — an open loop, as independent clients arrive, rather than refused clients retrying at once without
 * heeding `Retry-After` (which would offer far more than that). Each run after a warm-up.
 */
export async function measureOverload(stack: BenchStack, seconds: number, warmup: number): Promise<OverloadRun[]> {
  const profile = WORKLOADS.find((workload) => workload.name === 'profile') as Workload;
  const target = atrium();
  const running = await target.start(stack);
  const runs: OverloadRun[] = [];
  try {
    let sustained: number | undefined;
    for (const connections of [CONNECTIONS, CONNECTIONS * OVERLOAD_FACTOR]) {
      const ratePerSecond = sustained === undefined ? undefined : sustained * OVERLOAD_FACTOR;
      await running.run(profile, { connections, durationSeconds: warmup, ratePerSecond });
      const gateway = running.process as NonNullable<typeof running.process>;
      const rss = watchPeakRss(gateway.pid);
      const window = profileWindow([gateway, ...stack.subgraphs], `overload-${connections}-connections`);
      const result = await running.run(profile, { connections, durationSeconds: seconds, ratePerSecond });
      sustained ??= result.perSecond;
      await window.stop();
      const run = { connections, result, gatewayPeakRssMiB: rss.stop() };
      process.stderr.write(`${overloadTable([run]).split('\n')[2]}\n`);
      runs.push(run);
    }
  } finally {
    await running.stop();
  }
  return runs;
}

const share = (part: number, whole: number) => `${((100 * part) / Math.max(1, whole)).toFixed(1)}%`;

/** Per run: what was admitted (HTTP 200) and how fast, what was refused (503) and how fast, and what else failed. */
export function overloadTable(runs: OverloadRun[]): string {
  return markdownTable(
    [
      'connections',
      'req/s',
      'p99 ms',
      'HTTP 200',
      'p99 ms of 200s',
      'HTTP 503',
      'share refused',
      '503s with Retry-After',
      'p99 ms of 503s',
      'other failures',
      'gateway peak RSS MiB',
    ],
    ['right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    runs.map(({ connections, result, gatewayPeakRssMiB }) => {
      const admitted = result.byStatus.get(200);
      const refused = result.byStatus.get(503);
      return [
        String(connections),
        fixed(result.perSecond, 0),
        String(result.p99Ms),
        String(admitted?.count ?? 0),
        admitted ? String(admitted.p99Ms) : '—',
        String(refused?.count ?? 0),
        share(refused?.count ?? 0, result.requests),
        refused ? share(refused.withRetryAfter, refused.count) : '—',
        refused ? String(refused.p99Ms) : '—',
        // Errors count refusals too; what is left failed some other way (timeouts, 5xx, GraphQL errors in a 200).
        String(result.errors - (refused?.count ?? 0)),
        fixed(gatewayPeakRssMiB, 0),
      ];
    }),
  );
}

/** The goal, in one line: admitted requests under overload within 2× the sustained p99, the rest refused at once. */
export function overloadVerdict(runs: OverloadRun[]): string {
  const [sustained, overloaded] = runs;
  if (!sustained || !overloaded) return '';
  const refused = overloaded.result.byStatus.get(503);
  return (
    `Offered ${OVERLOAD_FACTOR}× the ${fixed(sustained.result.perSecond, 0)} req/s sustained, over ${overloaded.connections} connections, the admitted requests' p99 is ${ratio(overloaded.result.byStatus.get(200)?.p99Ms, sustained.result.p99Ms)} ` +
    `the p99 at ${sustained.connections} (goal ≤ 2×); ${share(refused?.count ?? 0, overloaded.result.requests)} were refused with 503` +
    (refused ? `, ${share(refused.withRetryAfter, refused.count)} of them with Retry-After, p99 ${refused.p99Ms} ms.` : '.')
  );
}
