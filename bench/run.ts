import { eventsTable, measureEvents } from './events';
import { buildBaseline } from './baseline';
import { CONNECTIONS, measure, type Row } from './measure';
import { BenchUsageError, readBenchOptions, type BenchOptions } from './options';
import { measureOverload, overloadTable, overloadVerdict } from './overload';
import { baselineRatios, measuredOn, ratios, table, writeSection } from './report';
import { startBenchStack, type BenchStack } from './stack';
import { measureSubgraphs, subgraphCostTable } from './subgraph-cost';
import { atrium, TARGETS, type Target } from './targets';
import { WORKLOADS, type Workload } from './workloads';

const pick = <T extends { name: string }>(all: T[], names?: string[]) => (names ? all.filter((item) => names.includes(item.name)) : all);

/** Drives the subgraphs directly with every workload for a while; nothing is recorded. */
async function warm(stack: BenchStack, workloads: Workload[], seconds: number): Promise<void> {
  const direct = TARGETS.find((target) => target.name === 'direct') as Target;
  const running = await direct.start(stack);
  for (const workload of workloads) await running.run(workload, { connections: CONNECTIONS, durationSeconds: seconds / workloads.length });
}

/** A stack warmed with `workloads` (JIT, pools), so the first cell measured is not penalised; stopped after `use`. */
async function withStack<T>(options: BenchOptions, workloads: Workload[], use: (stack: BenchStack) => Promise<T>, entityCache = false): Promise<T> {
  const stack = await startBenchStack({ entityCache });
  try {
    await warm(stack, workloads, options.smoke ? 1 : 10);
    return await use(stack);
  } finally {
    await stack.stop();
  }
}

/** The workloads an earlier revision's bench knows: a baseline is measured under those only. */
const EARLIER_WORKLOADS = ['profile', 'list-50', 'mutation-mix'];

/** Every target under every workload, at each backend latency; with `--baseline`, that revision first. */
async function targetsMode(options: BenchOptions): Promise<void> {
  const targets = pick(TARGETS, options.targets);
  const workloads = pick(WORKLOADS, options.workloads);
  const cells = (runTargets: Target[], rows: Row[]) => async (stack: BenchStack) => {
    for (const latencyMs of options.latencies) {
      await stack.setBackendLatency(latencyMs);
      for (const target of runTargets) {
        const running = await target.start(stack);
        try {
          for (const workload of workloads) {
            const row = await measure(stack, target, running, workload, latencyMs, options.seconds, options.warmup);
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
  // The baseline runs its own whole stack: built and measured before this tree's starts, so one stack runs at a time.
  let baseline: string | undefined;
  if (options.baseline) {
    const built = await buildBaseline(options.baseline);
    try {
      baseline = built.name;
      rows.push(...(await built.measure({ ...options, workloads: workloads.filter((w) => EARLIER_WORKLOADS.includes(w.name)).map((w) => w.name) })));
    } finally {
      built.remove();
    }
  }
  await withStack(options, workloads, cells(targets, rows));
  // Cached numbers apart: Atrium's response cache over subgraphs that keep backend reads fresh.
  const cachedRows: Row[] = [];
  if (!options.smoke && !options.uncachedOnly) {
    await withStack(options, workloads, cells([atrium('atrium, cached', { RESPONSE_CACHE: 'on' })], cachedRows), true);
  }
  const against = baseline ? `\n\n${baselineRatios(rows, baseline)}` : '';
  process.stdout.write(`${ratios(rows)}${against}\n\n${table(rows)}\n${cachedRows.length > 0 ? `\n${table(cachedRows)}\n` : ''}`);
  if (options.write) {
    const how = `${CONNECTIONS} connections, ${options.seconds} s per cell after a warm-up`;
    const built = baseline ? `; \`${baseline}\` built from git in a temporary folder and measured by its own bench, before the other targets` : '';
    const cached =
      cachedRows.length > 0
        ? `Cached (\`RESPONSE_CACHE=on\` at the gateway, \`ENTITY_CACHE=on\` in the subgraphs; one caller, 1,000 customers):\n\n${table(cachedRows)}\n\n`
        : '';
    await writeSection('results', `${measuredOn(how + built)}\n\nUncached:\n\n${ratios(rows)}${against}\n\n${table(rows)}\n\n${cached}`.trimEnd());
  }
  // Peers may fail under load (that is a finding); Atrium may not.
  if ([...rows, ...cachedRows].some((row) => row.target.startsWith('atrium') && row.errors > 0)) process.exitCode = 1;
}

/** Each subgraph's Profile fetch served over HTTP against the same fetch executed in-process (the floor). */
async function subgraphsMode(options: BenchOptions): Promise<void> {
  const profile = pick(WORKLOADS, ['profile']);
  const costs = await withStack(options, profile, (stack) => measureSubgraphs(stack, options.seconds, options.warmup));
  const text = subgraphCostTable(costs);
  process.stdout.write(`${text}\n`);
  if (options.write) {
    const how = `${CONNECTIONS} fetches in flight, ${options.seconds} s for each subgraph's server and again for its floor, each after a warm-up, 0 ms backend latency`;
    await writeSection('subgraphs', `${measuredOn(how)}\n\n${text}`);
  }
  if (costs.some((cost) => cost.errors > 0)) process.exitCode = 1;
}

/** Atrium at the load the stack sustains, then at four times as many connections. */
async function overloadMode(options: BenchOptions): Promise<void> {
  const profile = pick(WORKLOADS, ['profile']);
  const runs = await withStack(options, profile, (stack) => measureOverload(stack, options.seconds, options.warmup));
  const text = `${overloadTable(runs)}\n\n${overloadVerdict(runs)}`;
  process.stdout.write(`${text}\n`);
  if (options.write)
    await writeSection('overload', `${measuredOn(`profile workload, ${options.seconds} s per run after a warm-up, 0 ms backend latency`)}\n\n${text}`);
}

/** Subscriptions: events recorded into the log at two rates, delivered through the gateway to 20 subscribers. */
async function eventsMode(options: BenchOptions): Promise<void> {
  const runs = await withStack(options, pick(WORKLOADS, ['profile']), (stack) => measureEvents(stack, options.smoke ? [20] : [100, 400], options.seconds));
  const text = eventsTable(runs);
  process.stdout.write(`${text}\n`);
  if (options.write) {
    const how = `20 graphql-ws subscribers on 20 customers, events recorded for ${options.seconds} s per rate, PostgreSQL feed, 0 ms backend latency`;
    await writeSection('events', `${measuredOn(how)}\n\n${text}`);
  }
  if (runs.some((run) => run.delivered < run.sent)) process.exitCode = 1;
}

/** `npm run bench`: see BENCHMARKS.md for the modes and options. */
async function main(): Promise<void> {
  const options = readBenchOptions(process.argv.slice(2), { targets: TARGETS.map((t) => t.name), workloads: WORKLOADS.map((w) => w.name) });
  const modes = { targets: targetsMode, subgraphs: subgraphsMode, overload: overloadMode, events: eventsMode };
  await modes[options.mode](options);
}

main().catch((error: unknown) => {
  if (!(error instanceof BenchUsageError)) throw error;
  process.stderr.write(`bench: ${error.message}\n`);
  process.exitCode = 2;
});
