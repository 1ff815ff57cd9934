import { Counter, Gauge, Histogram } from 'prom-client';
import { LATENCY_BUCKETS } from '../../platform/metrics';

/** A subgraph's metrics about its backend, in prom-client's default registry. */
export const backendMetrics = {
  calls: new Counter({
    name: 'atrium_backend_calls_total',
    help: 'Calls from a subgraph to its legacy backend, by backend, operation and outcome (ok, unavailable, timeout, circuit_open, rejected, refused).',
    labelNames: ['backend', 'operation', 'outcome'] as const,
  }),
  callSeconds: new Histogram({
    name: 'atrium_backend_call_duration_seconds',
    help: 'Time of each call to a legacy backend, retries included.',
    labelNames: ['backend', 'operation'] as const,
    buckets: LATENCY_BUCKETS,
  }),
  circuitState: new Gauge({
    name: 'atrium_backend_circuit_state',
    help: "A backend's circuit breaker: 0 closed, 1 half-open, 2 open.",
    labelNames: ['backend'] as const,
  }),
  entityCacheLookups: new Counter({
    name: 'atrium_entity_cache_lookups_total',
    help: 'Keys a subgraph looked up in its entity cache before calling its backend, by cache and result (hit, miss).',
    labelNames: ['cache', 'result'] as const,
  }),
  lastGoodLookups: new Counter({
    name: 'atrium_cache_lookups_total',
    help: 'Lookups of last good values while a backend failed, by cache and result (hit, miss).',
    labelNames: ['cache', 'result'] as const,
  }),
};
