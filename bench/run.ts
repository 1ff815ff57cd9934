import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '../platform/paths';
import { cpuMs, watchPeakRss } from './process-stats';
import { startBenchStack, type BenchStack } from './stack';
import { atrium, TARGETS, type RunningTarget, type Target } from './targets';
import { WORKLOADS, type Workload } from './workloads';

/** One cell of the table. */
interface Row {
  target: string;
  workload: string;
  latencyMs: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  gatewayCpuMsPerRequest?: number;
  stackCpuMsPerRequest: number;
  gatewayPeakRssMiB?: number;
  backendCallsPerRequest: number;
}

const CONNECTIONS = 50;

async function measure(
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
  const services = [...(gateway ? [gateway] : []), ...stack.subgraphs, ...stack.backends];
  const cpuEach = () => services.map((p) => cpuMs(p.pid));
  const cpuBefore = cpuEach();
  const callsBefore = await stack.businessCalls();
  const rss = gateway ? watchPeakRss(gateway.pid) : undefined;
  const result = await running.run(workload, { connections: CONNECTIONS, durationSeconds: seconds });
  const peak = rss?.stop();
  const used = cpuEach().map((after, i) => after - (cpuBefore[i] as number));
  const callsAfter = await stack.businessCalls();
  const per = (n: number) => n / Math.max(1, result.requests);
  // Where the CPU went, per service: the detail behind the totals, for BENCHMARKS.md's findings.
  process.stderr.write(`  CPU ms/req by service: ${services.map((p, i) => `${p.name} ${per(used[i] as number).toFixed(2)}`).join(', ')}\n`);
  return {
    target: target.name,
    workload: workload.name,
    latencyMs,
    perSecond: result.perSecond,
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    errors: result.errors,
    gatewayCpuMsPerRequest: gateway ? per(used[0] as number) : undefined,
    stackCpuMsPerRequest: per(used.reduce((sum, ms) => sum + ms, 0)),
    gatewayPeakRssMiB: peak,
    backendCallsPerRequest: per(callsAfter - callsBefore),
  };
}

const fixed = (n: number | undefined, digits = 1) => (n === undefined ? '—' : n.toFixed(digits));

function table(rows: Row[]): string {
  const header =
    '| backend latency | workload | target | req/s | p50 ms | p99 ms | errors | gateway CPU ms/req | stack CPU ms/req | gateway peak RSS MiB | backend calls/req |\n' +
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n';
  return (
    header +
    rows
      .map(
        (r) =>
          `| ${r.latencyMs} ms | ${r.workload} | ${r.target} | ${fixed(r.perSecond, 0)} | ${r.p50Ms} | ${r.p99Ms} | ${r.errors} | ${fixed(r.gatewayCpuMsPerRequest, 2)} | ${fixed(r.stackCpuMsPerRequest, 2)} | ${fixed(r.gatewayPeakRssMiB, 0)} | ${fixed(r.backendCallsPerRequest, 2)} |`,
      )
      .join('\n')
  );
}

/** Throughput ratios of Atrium over each peer, per workload and latency: the headline. */
function ratios(rows: Row[]): string {
  const lines: string[] = [];
  for (const row of rows.filter((r) => r.target === 'atrium')) {
    const peer = (name: string) => rows.find((r) => r.target === name && r.workload === row.workload && r.latencyMs === row.latencyMs);
    const ratio = (name: string) => {
      const other = peer(name);
      return other && other.perSecond > 0 ? `${(row.perSecond / other.perSecond).toFixed(2)}×` : '—';
    };
    // Less gateway CPU per request is what lets the same cores serve more.
    const cpu = (name: string) => {
      const other = peer(name);
      return other?.gatewayCpuMsPerRequest && row.gatewayCpuMsPerRequest ? `${(other.gatewayCpuMsPerRequest / row.gatewayCpuMsPerRequest).toFixed(2)}×` : '—';
    };
    lines.push(
      `| ${row.latencyMs} ms | ${row.workload} | ${ratio('apollo-gateway')} | ${ratio('hive-gateway')} | ${cpu('apollo-gateway')} | ${cpu('hive-gateway')} |`,
    );
  }
  return (
    '| backend latency | workload | req/s: Atrium / stock @apollo/gateway | req/s: Atrium / Hive Gateway | gateway CPU per request: stock / Atrium | gateway CPU per request: Hive / Atrium |\n' +
    `| --- | --- | ---: | ---: | ---: | ---: |\n${lines.join('\n')}`
  );
}

const version = (name: string) => (JSON.parse(readFileSync(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

function machine(seconds: number): string {
  return [
    `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}`,
    `@apollo/gateway ${version('@apollo/gateway')}, @apollo/server ${version('@apollo/server')}, @graphql-hive/gateway ${version('@graphql-hive/gateway')}, autocannon ${version('autocannon')}`,
    `${CONNECTIONS} connections, ${seconds} s per cell after a warm-up, every service in its own process on this machine (so the load generator, gateway, subgraphs and backends share its cores); LOG_LEVEL=warn everywhere`,
  ].join('  \n');
}

const MARK_START = '<!-- bench:results:start -->';
const MARK_END = '<!-- bench:results:end -->';

function writeReport(rows: Row[], cachedRows: Row[], seconds: number): void {
  const file = join(repoRoot, 'BENCHMARKS.md');
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf(MARK_START);
  const end = text.indexOf(MARK_END);
  if (start < 0 || end < start) throw new Error(`BENCHMARKS.md lacks the ${MARK_START} … ${MARK_END} markers`);
  const cached =
    cachedRows.length > 0
      ? `Cached (\`RESPONSE_CACHE=on\` at the gateway, \`ENTITY_CACHE=on\` in the subgraphs; one caller, 1,000 customers):\n\n${table(cachedRows)}\n\n`
      : '';
  const section = `${MARK_START}\n\nMeasured ${new Date().toISOString().slice(0, 10)} on ${machine(seconds)}\n\nUncached:\n\n${ratios(rows)}\n\n${table(rows)}\n\n${cached}`;
  writeFileSync(file, text.slice(0, start) + section + text.slice(end));
}

/** Drives the subgraphs directly with every workload for a while; nothing is recorded. */
async function warm(stack: BenchStack, workloads: Workload[], seconds: number): Promise<void> {
  const direct = TARGETS.find((target) => target.name === 'direct') as Target;
  const running = await direct.start(stack);
  for (const workload of workloads) await running.run(workload, { connections: CONNECTIONS, durationSeconds: seconds / workloads.length });
}

/** `npm run bench`: every target under every workload, at zero and at 20 ms backend latency. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      smoke: { type: 'boolean', default: false },
      seconds: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '3' },
      targets: { type: 'string' },
      workloads: { type: 'string' },
      latencies: { type: 'string', default: '0,20' },
      write: { type: 'boolean', default: false },
      'uncached-only': { type: 'boolean', default: false },
    },
  });
  const seconds = values.smoke ? 1 : Number(values.seconds);
  const warmup = values.smoke ? 0.5 : Number(values.warmup);
  const pick = <T extends { name: string }>(all: T[], list?: string) => (list ? all.filter((item) => list.split(',').includes(item.name)) : all);
  const targets = pick(TARGETS, values.targets);
  const workloads = pick(WORKLOADS, values.workloads ?? (values.smoke ? 'profile' : undefined));
  const latencies = values.smoke ? [0] : values.latencies.split(',').map(Number);

  const run = async (stack: BenchStack, runTargets: Target[], rows: Row[]) => {
    for (const latencyMs of latencies) {
      await stack.setBackendLatency(latencyMs);
      for (const target of runTargets) {
        const running = await target.start(stack);
        try {
          for (const workload of workloads) {
            const row = await measure(stack, target, running, workload, latencyMs, seconds, warmup);
            rows.push(row);
            process.stderr.write(`${table([row]).split('\n')[2]}\n`);
          }
        } finally {
          await running.stop();
        }
      }
    }
  };
  const rows: Row[] = [];
  const uncached = await startBenchStack();
  // Subgraphs and backends are warmed (JIT, pools) before any cell counts, so the first target measured is not penalised.
  await warm(uncached, workloads, values.smoke ? 1 : 10);
  await run(uncached, targets, rows).finally(() => uncached.stop());
  // Cached numbers apart: Atrium's response cache over subgraphs that keep backend reads fresh.
  const cachedRows: Row[] = [];
  if (!values.smoke && !values['uncached-only']) {
    const cached = await startBenchStack({ entityCache: true });
    await warm(cached, workloads, 10);
    await run(cached, [atrium('atrium, cached', { RESPONSE_CACHE: 'on' })], cachedRows).finally(() => cached.stop());
  }
  process.stdout.write(`${ratios(rows)}\n\n${table(rows)}\n${cachedRows.length > 0 ? `\n${table(cachedRows)}\n` : ''}`);
  if (values.write) writeReport(rows, cachedRows, seconds);
  rows.push(...cachedRows);
  // Peers may fail under load (that is a finding); Atrium may not.
  if (rows.some((row) => row.target.startsWith('atrium') && row.errors > 0)) process.exitCode = 1;
}

void main();
