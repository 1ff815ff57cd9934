import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execute, Kind, parse, type DocumentNode } from 'graphql';
import { effectiveScopes } from '../platform/identity';
import { inProcessSubgraph, type InProcessSubgraph } from './in-process-subgraph';
import { driveHttp } from './load';
import { CONNECTIONS } from './measure';
import { cpuMs, watchPeakRss } from './process-stats';
import { profileWindow, type BenchProcess } from './processes';
import { fixed, markdownTable, ratio } from './report';
import { SERVICE, type BenchStack } from './stack';
import { profileFetches, type DirectFetch } from './workloads';

/** What one subgraph's fetch of a Profile costs, served over HTTP and executed in-process. */
export interface SubgraphCost {
  subgraph: string;
  /** The fetch, as `root field` or `_entities → Type.field`. */
  fetch: string;
  serverPerSecond: number;
  serverCpuMsPerFetch: number;
  /** graphql-js `execute` on the same schema, rules and adapter, no HTTP. */
  floorCpuMsPerFetch: number;
  peakRssMiB: number;
  /** Fetches that failed, either way. */
  errors: number;
}

/** `customer` or `_entities → Customer.orders`: which fetch a document is, for the table. */
function describe(document: DocumentNode): string {
  const operation = document.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  const root = operation?.selectionSet.selections.find((selection) => selection.kind === Kind.FIELD);
  if (!root) return '?';
  const fragment = root.selectionSet?.selections.find((selection) => selection.kind === Kind.INLINE_FRAGMENT);
  if (!fragment) return root.name.value;
  const fields = fragment.selectionSet.selections.flatMap((selection) => (selection.kind === Kind.FIELD ? [selection.name.value] : []));
  return `${root.name.value} → ${fragment.typeCondition?.name.value ?? '?'}.${fields.join(', ')}`;
}

/** The subgraph's fetch of a Profile for a random customer; undefined if a Profile asks nothing of it. */
const fetchOf = (subgraph: string): DirectFetch | undefined => profileFetches().find((fetch) => fetch.subgraph === subgraph);

/** Requests with many variable sets, one document: what the floor executes, parsed before it is measured. */
function prepared(subgraph: string): { document: DocumentNode; variables: Array<Record<string, unknown>> } {
  const bodies = Array.from(
    { length: 1_000 },
    () => JSON.parse((fetchOf(subgraph) as DirectFetch).body) as { query: string; variables?: Record<string, unknown> },
  );
  return { document: parse((bodies[0] as { query: string }).query), variables: bodies.map((body) => body.variables ?? {}) };
}

/**
 * CPU per fetch of `execute` in this process, `CONNECTIONS` operations in flight at once (each with its own context,
 * so DataLoader batches as it does per server request), after `warmup` seconds.
 */
async function floorCpuMs(floor: InProcessSubgraph, subgraph: string, seconds: number, warmup: number): Promise<{ cpuMsPerFetch: number; errors: number }> {
  const { document, variables } = prepared(subgraph);
  const viewer = { ...SERVICE, scopes: effectiveScopes(SERVICE.role, SERVICE.scopes) };
  let next = 0;
  let errors = 0;
  let firstError: unknown;
  const loop = async (until: number) => {
    let done = 0;
    const worker = async () => {
      while (performance.now() < until) {
        const result = await execute({
          schema: floor.schema,
          document,
          variableValues: variables[next++ % variables.length],
          contextValue: floor.context(viewer),
        });
        if (result.errors) {
          errors++;
          firstError ??= result.errors[0];
        }
        done++;
      }
    };
    await Promise.all(Array.from({ length: CONNECTIONS }, worker));
    return done;
  };
  await loop(performance.now() + warmup * 1000);
  errors = 0;
  firstError = undefined;
  const before = process.cpuUsage();
  const done = await loop(performance.now() + seconds * 1000);
  const used = process.cpuUsage(before);
  if (errors > 0) process.stderr.write(`  ${subgraph} floor: ${errors} of ${done} operations failed, the first with: ${String(firstError)}\n`);
  return { cpuMsPerFetch: (used.user + used.system) / 1000 / Math.max(1, done), errors };
}

/** CPU per fetch of the subgraph's own process, driven over HTTP with its gateway token as the gateway would. */
async function serverCost(stack: BenchStack, subgraph: BenchProcess, token: string, seconds: number, warmup: number) {
  const url = stack.subgraphUrls[subgraph.name] as string;
  const headers = { authorization: `Bearer ${token}` };
  const nextBody = () => (fetchOf(subgraph.name) as DirectFetch).body;
  await driveHttp(url, headers, nextBody, { connections: CONNECTIONS, durationSeconds: warmup });
  const cpuBefore = cpuMs(subgraph.pid);
  const rss = watchPeakRss(subgraph.pid);
  const profile = profileWindow([subgraph], `subgraph-${subgraph.name}`);
  const result = await driveHttp(url, headers, nextBody, { connections: CONNECTIONS, durationSeconds: seconds });
  await profile.stop();
  return { result, cpuMsPerFetch: (cpuMs(subgraph.pid) - cpuBefore) / Math.max(1, result.requests), peakRssMiB: rss.stop() };
}

/**
 * `npm run bench -- --subgraphs`: for each subgraph a Profile fetches from, that fetch served by the subgraph's process
 * and executed in this one with no HTTP (the floor), one after the other so neither shares the CPU with the other.
 */
export async function measureSubgraphs(stack: BenchStack, seconds: number, warmup: number): Promise<SubgraphCost[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'atrium-floor-'));
  const costs: SubgraphCost[] = [];
  try {
    for (const subgraph of stack.subgraphs) {
      const sample = fetchOf(subgraph.name);
      if (!sample) continue;
      // Gateway tokens live a minute: each subgraph's run gets fresh ones, or the later runs would be refused.
      const tokens = await stack.internalTokens();
      const server = await serverCost(stack, subgraph, tokens[subgraph.name] as string, seconds, warmup);
      const floor = await inProcessSubgraph(
        subgraph.name,
        stack.subgraphBackendUrls[subgraph.name] as string,
        join(dataDir, subgraph.name),
        stack.subgraphEnv[subgraph.name] ?? {},
      );
      const floorResult = await floorCpuMs(floor, subgraph.name, seconds, warmup).finally(() => floor.close());
      const cost: SubgraphCost = {
        subgraph: subgraph.name,
        fetch: describe(parse((JSON.parse(sample.body) as { query: string }).query)),
        serverPerSecond: server.result.perSecond,
        serverCpuMsPerFetch: server.cpuMsPerFetch,
        floorCpuMsPerFetch: floorResult.cpuMsPerFetch,
        peakRssMiB: server.peakRssMiB,
        errors: server.result.errors + floorResult.errors,
      };
      process.stderr.write(`${subgraphCostTable([cost]).split('\n')[2]}\n`);
      costs.push(cost);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  return costs;
}

/** Server against floor per subgraph; the goal is a server within 2× its floor. */
export function subgraphCostTable(costs: SubgraphCost[]): string {
  return markdownTable(
    ['subgraph', 'fetch', 'server fetches/s', 'server CPU ms/fetch', 'floor CPU ms/fetch', 'server / floor', 'peak RSS MiB', 'errors'],
    ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right'],
    costs.map((cost) => [
      cost.subgraph,
      `\`${cost.fetch}\``,
      fixed(cost.serverPerSecond, 0),
      fixed(cost.serverCpuMsPerFetch, 2),
      fixed(cost.floorCpuMsPerFetch, 2),
      ratio(cost.serverCpuMsPerFetch, cost.floorCpuMsPerFetch),
      fixed(cost.peakRssMiB, 0),
      String(cost.errors),
    ]),
  );
}
