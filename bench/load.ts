import autocannon from 'autocannon';
import type { EventEmitter } from 'node:events';
import { Agent, request } from 'undici';
import type { Workload } from './workloads';

/** The answers of one HTTP status in a run: how many, how fast, and how many said when to come back. */
export interface StatusResult {
  count: number;
  p99Ms: number;
  /** Answers carrying a `Retry-After` header. */
  withRetryAfter: number;
}

/** What one run of load gave. */
export interface LoadResult {
  requests: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Failed requests: transport errors, timeouts, non-2xx, or a GraphQL answer carrying errors. */
  errors: number;
  /** By HTTP status; empty when the driver does not tell them apart. */
  byStatus: Map<number, StatusResult>;
}

export interface LoadOptions {
  connections: number;
  durationSeconds: number;
  /** Requests per second offered across all connections (open loop); back to back when absent. */
  ratePerSecond?: number;
}

/** The value at percentile `p` of ascending `sorted`; 0 when empty. */
export const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/** Per-status latencies and `Retry-After` counts, as responses come in. */
class StatusTally {
  private readonly latencies = new Map<number, number[]>();
  private readonly retryAfter = new Map<number, number>();

  latency(status: number, ms: number): void {
    const list = this.latencies.get(status) ?? [];
    list.push(ms);
    this.latencies.set(status, list);
  }

  /** `headers` as autocannon gives them: names as the server wrote them. */
  headers(status: number, headers: Record<string, unknown> | undefined): void {
    if (Object.keys(headers ?? {}).some((name) => name.toLowerCase() === 'retry-after')) this.retryAfter.set(status, (this.retryAfter.get(status) ?? 0) + 1);
  }

  result(): Map<number, StatusResult> {
    return new Map(
      [...this.latencies].map(([status, list]) => [
        status,
        {
          count: list.length,
          p99Ms: Math.round(
            percentile(
              list.sort((a, b) => a - b),
              99,
            ),
          ),
          withRetryAfter: this.retryAfter.get(status) ?? 0,
        },
      ]),
    );
  }
}

/** Drives a GraphQL server with autocannon: `connections` clients POSTing `nextBody()` back to back. */
export function driveHttp(
  url: string,
  headers: Record<string, string>,
  nextBody: () => string,
  options: LoadOptions,
  done: (answer: string) => boolean = () => true,
): Promise<LoadResult> {
  let graphqlErrors = 0;
  const tally = new StatusTally();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections: options.connections,
        duration: options.durationSeconds,
        ...(options.ratePerSecond ? { overallRate: Math.round(options.ratePerSecond) } : {}),
        requests: [
          {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...headers },
            setupRequest: (req) => ({ ...req, body: nextBody() }),
            onResponse: (status, body, _context, responseHeaders) => {
              if (status === 200 && (body.includes('"errors"') || !done(body))) graphqlErrors++;
              tally.headers(status, responseHeaders);
            },
          },
        ],
      },
      (error, result) => {
        if (error) return reject(error);
        resolve({
          requests: result.requests.total,
          perSecond: result.requests.total / options.durationSeconds,
          p50Ms: result.latency.p50,
          p99Ms: result.latency.p99,
          errors: result.errors + result.timeouts + result.non2xx + graphqlErrors,
          byStatus: tally.result(),
        });
      },
    );
    // autocannon passes the client first; @types/autocannon leaves it out.
    (instance as EventEmitter).on('response', (_client: unknown, status: number, _bytes: number, responseTimeMs: number) =>
      tally.latency(status, responseTimeMs),
    );
  });
}

/** Drives a gateway with the workload's requests. */
export const driveGateway = (url: string, headers: Record<string, string>, workload: Workload, options: LoadOptions): Promise<LoadResult> =>
  driveHttp(url, headers, () => workload.body(), options, workload.done);

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
    if (response.statusCode !== 200 || text.includes('"errors"') || (workload.done && !workload.done(text)))
      throw new Error(`${subgraph}: HTTP ${response.statusCode}`);
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
    byStatus: new Map(),
  };
}
