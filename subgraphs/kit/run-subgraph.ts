import { createRemoteJWKSet } from 'jose';
import { readDataDir } from '../../platform/data-dir';
import { z } from 'zod';
import { flagVar, hostVar, intVar, portVar, readEnv, redisUrlVar, urlVar } from '../../platform/env';
import { bodyTimeoutVar } from '../../platform/listener-guards';
import type { Logger } from '../../platform/log';
import { withMetrics } from '../../platform/metrics';
import { DEFAULT_MAX_INFLIGHT, maxInFlightVar } from '../../platform/overload';
import { runService } from '../../platform/run';
import { mtlsFiles, mtlsVars, readMtlsFiles } from '../../platform/tls';
import { defaultResilience, type ResilienceSettings } from './resilience';
import { serveSubgraph, type Subgraph } from './serve';

/** A failure ratio strictly between 0 and 1 (cockatiel's SamplingBreaker refuses 0, which would open on any failure, and 1). */
const breakerRatioVar = (defaultValue: number) =>
  z
    .string()
    .regex(/^0\.\d+$/, 'must be a ratio above 0 and below 1, such as 0.5')
    .transform(Number)
    .refine((n) => n > 0 && n < 1, 'must be a ratio above 0 and below 1, such as 0.5')
    .default(defaultValue);

/** How a subgraph reaches its backend, as read from the environment. */
export interface BackendSettings {
  url: string;
  connections: number;
  resilience: ResilienceSettings;
  /** Where shared state (idempotency records, last good values) lives across replicas; process memory when unset. */
  redisUrl?: string;
  /** Where records that must survive a restart are kept without Redis (`ATRIUM_DATA_DIR`). */
  dataDir: string;
  /** Keep backend reads fresh for a while (`ENTITY_CACHE=on`), for as long as each subgraph's types allow. */
  entityCache?: boolean;
  log: Logger;
}

/**
 * The body of a subgraph's `index.ts`. Reads `HOST`, `<portVar>`, `<backendUrlVar>`, `REQUEST_DEADLINE_MS`, the resilience knobs
 * (`BACKEND_TIMEOUT_MS`, `BACKEND_RETRIES`, `BREAKER_*`, `BULKHEAD_*`…), `BACKEND_CONNECTIONS`, `BODY_TIMEOUT_MS`, `GATEWAY_JWKS_URL` and the `MTLS_*` settings once, builds the subgraph and serves it until
 * SIGINT/SIGTERM.
 */
export function runSubgraph<TBackends extends object>(options: {
  name: string;
  port: { variable: string; default: number };
  /** Where `/metrics` is served, apart from the GraphQL listener. */
  metricsPort: { variable: string; default: number };
  backendUrl: { variable: string; default: string };
  create(backend: BackendSettings): Subgraph<TBackends>;
}): void {
  runService(options.name, async (log) => {
    // This subgraph's own variables (CUSTOMERS_PORT, CRM_URL…) and those every subgraph shares, checked together.
    const ownVars = {
      [options.port.variable]: portVar(options.port.default),
      [options.metricsPort.variable]: portVar(options.metricsPort.default),
      [options.backendUrl.variable]: urlVar(options.backendUrl.default),
    };
    const config = readEnv({
      ...ownVars,
      HOST: hostVar(),
      BACKEND_TIMEOUT_MS: intVar(defaultResilience.timeoutMs, 1, 120_000),
      BACKEND_RETRIES: intVar(defaultResilience.retries, 0, 10),
      BACKEND_BACKOFF_MS: intVar(defaultResilience.backoffInitialMs, 1, 60_000),
      BACKEND_BACKOFF_MAX_MS: intVar(defaultResilience.backoffMaxMs, 1, 300_000),
      BREAKER_FAILURE_RATIO: breakerRatioVar(defaultResilience.breakerFailureRatio),
      BREAKER_WINDOW_MS: intVar(defaultResilience.breakerWindowMs, 1_000, 600_000),
      BREAKER_MIN_RPS: intVar(defaultResilience.breakerMinRps, 1, 100_000),
      BREAKER_HALF_OPEN_MS: intVar(defaultResilience.breakerHalfOpenMs, 100, 600_000),
      BULKHEAD_LIMIT: intVar(defaultResilience.bulkheadLimit, 1, 10_000),
      BULKHEAD_QUEUE: intVar(defaultResilience.bulkheadQueue, 0, 100_000),
      BACKEND_CONNECTIONS: intVar(32, 1, 1_024),
      BODY_TIMEOUT_MS: bodyTimeoutVar(),
      MAX_INFLIGHT: maxInFlightVar(DEFAULT_MAX_INFLIGHT.subgraph),
      // The most one request may take here; the gateway's x-request-deadline can only shorten it.
      REQUEST_DEADLINE_MS: intVar(15_000, 1, 600_000),
      GATEWAY_JWKS_URL: urlVar('http://127.0.0.1:4000/.well-known/jwks.json'),
      REDIS_URL: redisUrlVar(),
      ENTITY_CACHE: flagVar(false),
      ...mtlsVars(),
    });
    const own = config as unknown as Record<string, unknown>;
    // Mutual TLS: only clients with a certificate from our CA (the gateway) get through the handshake.
    const mtls = mtlsFiles(config);
    const tls = mtls && { ...readMtlsFiles(mtls), requestCert: true, rejectUnauthorized: true };
    const subgraph = options.create({
      url: own[options.backendUrl.variable] as string,
      connections: config.BACKEND_CONNECTIONS,
      resilience: {
        timeoutMs: config.BACKEND_TIMEOUT_MS,
        retries: config.BACKEND_RETRIES,
        backoffInitialMs: config.BACKEND_BACKOFF_MS,
        backoffMaxMs: config.BACKEND_BACKOFF_MAX_MS,
        breakerFailureRatio: config.BREAKER_FAILURE_RATIO,
        breakerWindowMs: config.BREAKER_WINDOW_MS,
        breakerMinRps: config.BREAKER_MIN_RPS,
        breakerHalfOpenMs: config.BREAKER_HALF_OPEN_MS,
        bulkheadLimit: config.BULKHEAD_LIMIT,
        bulkheadQueue: config.BULKHEAD_QUEUE,
      },
      redisUrl: config.REDIS_URL,
      dataDir: readDataDir(),
      entityCache: config.ENTITY_CACHE,
      log,
    });
    const gatewayKeys = createRemoteJWKSet(new URL(config.GATEWAY_JWKS_URL), { timeoutDuration: 5_000 });
    const served = await serveSubgraph(subgraph, {
      port: own[options.port.variable] as number,
      host: config.HOST,
      log,
      gatewayKeys,
      bodyTimeoutMs: config.BODY_TIMEOUT_MS,
      maxInFlight: config.MAX_INFLIGHT,
      requestDeadlineMs: config.REQUEST_DEADLINE_MS,
      tls,
    });
    return withMetrics(served, own[options.metricsPort.variable] as number, config.HOST);
  });
}
