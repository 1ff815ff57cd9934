import { Counter, Histogram } from 'prom-client';
import { boundedLabel, LATENCY_BUCKETS } from '../platform/metrics';

/** The gateway's metrics, in prom-client's default registry. */
export const gatewayMetrics = {
  operations: new Counter({
    name: 'atrium_gateway_operations_total',
    help: 'GraphQL operations answered by the gateway, by operation name and outcome (ok, error).',
    labelNames: ['operation', 'outcome'] as const,
  }),
  operationSeconds: new Histogram({
    name: 'atrium_gateway_operation_duration_seconds',
    help: 'Time to answer a GraphQL operation at the gateway.',
    labelNames: ['operation'] as const,
    buckets: LATENCY_BUCKETS,
  }),
  subgraphFetchSeconds: new Histogram({
    name: 'atrium_gateway_subgraph_fetch_duration_seconds',
    help: 'Time of each fetch from the gateway to a subgraph, by subgraph and outcome (ok, unavailable).',
    labelNames: ['subgraph', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
  }),
  rateLimitRejections: new Counter({
    name: 'atrium_gateway_rate_limit_rejections_total',
    help: 'Requests refused with HTTP 429, by client id.',
    labelNames: ['client'] as const,
  }),
  authenticationFailures: new Counter({
    name: 'atrium_gateway_authentication_failures_total',
    help: 'Requests refused with HTTP 401, by reason.',
    labelNames: ['reason'] as const,
  }),
};

/** Operation names are chosen by clients: the first 200 are kept, later ones counted as "other". */
export const operationLabel = boundedLabel(200);
/** Client ids come from registered clients, but a misconfigured issuer must not make them unbounded either. */
export const clientLabel = boundedLabel(500);
