import autocannon from 'autocannon';
import { Agent, request } from 'undici';
import type { Workload } from './workloads';

/** What one run of load gave. */
export interface LoadResult {
  requests: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Failed requests: transport errors, timeouts, non-2xx, or a GraphQL answer carrying errors. */
  errors: number;
}

export interface LoadOptions {
  connections: number;
  durationSeconds: number;
}

/** Drives a gateway with autocannon: `connections` clients sending the workload's requests back to back. */
export async function driveGateway(url: string, headers: Record<string, string>, workload: Workload, options: LoadOptions): Promise<LoadResult> {
  let graphqlErrors = 0;
  const result = await autocannon({
    url,
    connections: options.connections,
    duration: options.durationSeconds,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        setupRequest: (req) => ({ ...req, body: workload.body() }),
        onResponse: (status, body) => {
          if (status === 200 && body.includes('"errors"')) graphqlErrors++;
        },
      },
    ],
  });
  return {
    requests: result.requests.total,
    perSecond: result.requests.total / options.durationSeconds,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx + graphqlErrors,
  };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/**
 * The floor: the same work with no gateway, `connections` clients each calling the subgraphs directly in the order a
 * query plan would (the first fetch, then the rest in parallel), over keep-alive connections.
 */
export async function driveDirect(
  subgraphUrls: Record<string, string>,
  tokens: Record<string, string>,
  workload: Workload,
  options: LoadOptions,
): Promise<LoadResult> {
  const agent = new Agent({ connections: options.connections, keepAliveTimeout: 30_000 });
  // Each subgraph takes only the token naming it.
  const headersFor = Object.fromEntries(
    Object.entries(tokens).map(([subgraph, token]) => [subgraph, { 'content-type': 'application/json', authorization: `Bearer ${token}` }]),
  );
  const call = async (subgraph: string, body: string) => {
    const response = await request(subgraphUrls[subgraph] as string, { method: 'POST', headers: headersFor[subgraph], body, dispatcher: agent });
    const text = await response.body.text();
    if (response.statusCode !== 200 || text.includes('"errors"')) throw new Error(`${subgraph}: HTTP ${response.statusCode}`);
    return JSON.parse(text) as unknown;
  };
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + options.durationSeconds * 1000;
  const client = async () => {
    while (performance.now() < end) {
      const started = performance.now();
      try {
        const plan = workload.direct();
        const first = await call(plan.first.subgraph, plan.first.body);
        await Promise.all(plan.then(first).map((fetch) => call(fetch.subgraph, fetch.body)));
        latencies.push(performance.now() - started);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: options.connections }, client));
  await agent.close();
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length + errors,
    perSecond: (latencies.length + errors) / options.durationSeconds,
    p50Ms: Math.round(percentile(latencies, 50)),
    p99Ms: Math.round(percentile(latencies, 99)),
    errors,
  };
}
