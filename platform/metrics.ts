import { createServer } from 'node:http';
import { collectDefaultMetrics, register } from 'prom-client';
import { closeServer, listen } from './http';
import type { RunningService } from './run';

/** Latency histogram buckets in seconds, from a cached answer to a request near its deadline. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

let defaultsCollected = false;

/**
 * Process metrics (CPU, memory, event loop lag, GC) once per process, in prom-client's default registry, under their
 * standard names (`process_cpu_seconds_total`, `nodejs_eventloop_lag_seconds`…) so stock Node.js dashboards and alerts
 * work; Atrium's own metrics are the ones named `atrium_`.
 */
export function collectProcessMetrics(): void {
  if (defaultsCollected) return;
  defaultsCollected = true;
  collectDefaultMetrics();
}

/** Where the exposed metrics come from: this process's registry, or one that gathers other processes' (cluster). */
export interface MetricsSource {
  metrics(): Promise<string>;
  contentType: string;
}

/**
 * Serves `GET /metrics` (Prometheus text format) on a listener of its own, so it can stay off the public one: bind it
 * to an internal interface or keep its port closed to the outside.
 */
export async function serveMetrics(port: number, host: string, source: MetricsSource = register): Promise<RunningService> {
  collectProcessMetrics();
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('metrics are at /metrics\n');
      return;
    }
    source.metrics().then(
      (text) => res.writeHead(200, { 'content-type': source.contentType }).end(text),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  const url = await listen(server, port, host);
  return { url: `${url}/metrics`, stop: () => closeServer(server) };
}

/**
 * Keeps a label's values bounded: the first `limit` distinct values are used as they are, any later one becomes
 * "other", so a client inventing operation names cannot blow up the number of series.
 */
export function boundedLabel(limit: number): (value: string) => string {
  const seen = new Set<string>();
  return (value) => {
    if (seen.has(value)) return value;
    if (seen.size >= limit) return 'other';
    seen.add(value);
    return value;
  };
}

/** A service together with its metrics listener, stopped together. */
export async function withMetrics(service: RunningService, port: number, host: string): Promise<RunningService> {
  const metrics = await serveMetrics(port, host);
  return {
    url: service.url,
    async stop() {
      await service.stop();
      await metrics.stop();
    },
  };
}
