import { createRemoteJWKSet } from 'jose';
import { z } from 'zod';
import { ConfigError, flagVar, hostVar, intVar, portVar, readEnv, urlVar } from '../../platform/env';
import type { Logger } from '../../platform/log';
import { withMetrics } from '../../platform/metrics';
import { runService } from '../../platform/run';
import { readPemFiles } from '../../platform/tls';
import { defaultResilience, type ResilienceSettings } from './resilience';
import { serveSubgraph, type Subgraph } from './serve';

/** How a subgraph reaches its backend, as read from the environment. */
export interface BackendSettings {
  url: string;
  connections: number;
  resilience: ResilienceSettings;
  /** Where shared state (idempotency records, last good values) lives across replicas; process memory when unset. */
  redisUrl?: string;
  log: Logger;
}

const optional = z.string().min(1, 'must not be empty').optional();

/**
 * The body of a subgraph's `index.ts`. Reads `HOST`, `<portVar>`, `<backendUrlVar>`, the resilience knobs
 * (`BACKEND_TIMEOUT_MS`, `BACKEND_RETRIES`, `BREAKER_*`, `BULKHEAD_*`…), `BACKEND_CONNECTIONS`, `GATEWAY_JWKS_URL` and the `MTLS_*` settings once, builds the subgraph and serves it until
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
    const config = readEnv({
      HOST: hostVar(),
      [options.port.variable]: portVar(options.port.default),
      [options.metricsPort.variable]: portVar(options.metricsPort.default),
      [options.backendUrl.variable]: urlVar(options.backendUrl.default),
      BACKEND_TIMEOUT_MS: intVar(defaultResilience.timeoutMs, 1, 120_000),
      BACKEND_RETRIES: intVar(defaultResilience.retries, 0, 10),
      BACKEND_BACKOFF_MS: intVar(defaultResilience.backoffInitialMs, 1, 60_000),
      BACKEND_BACKOFF_MAX_MS: intVar(defaultResilience.backoffMaxMs, 1, 300_000),
      BREAKER_THRESHOLD: intVar(defaultResilience.breakerThreshold, 1, 1_000),
      BREAKER_HALF_OPEN_MS: intVar(defaultResilience.breakerHalfOpenMs, 100, 600_000),
      BULKHEAD_LIMIT: intVar(defaultResilience.bulkheadLimit, 1, 10_000),
      BULKHEAD_QUEUE: intVar(defaultResilience.bulkheadQueue, 0, 100_000),
      BACKEND_CONNECTIONS: intVar(32, 1, 1_024),
      GATEWAY_JWKS_URL: urlVar('http://127.0.0.1:4000/.well-known/jwks.json'),
      REDIS_URL: z
        .string()
        .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
        .optional(),
      MTLS: flagVar(false),
      MTLS_CA: optional,
      MTLS_CERT: optional,
      MTLS_KEY: optional,
    });
    if (config.MTLS && !(config.MTLS_CA && config.MTLS_CERT && config.MTLS_KEY)) {
      throw new ConfigError('invalid configuration:\n  MTLS: MTLS=on needs MTLS_CA, MTLS_CERT and MTLS_KEY');
    }
    // Mutual TLS: only clients with a certificate from our CA (the gateway) get through the handshake.
    const tls = config.MTLS
      ? {
          ...readPemFiles({
            ca: { variable: 'MTLS_CA', path: config.MTLS_CA as string },
            cert: { variable: 'MTLS_CERT', path: config.MTLS_CERT as string },
            key: { variable: 'MTLS_KEY', path: config.MTLS_KEY as string },
          }),
          requestCert: true,
          rejectUnauthorized: true,
        }
      : undefined;
    const subgraph = options.create({
      url: config[options.backendUrl.variable] as string,
      connections: config.BACKEND_CONNECTIONS,
      resilience: {
        timeoutMs: config.BACKEND_TIMEOUT_MS,
        retries: config.BACKEND_RETRIES,
        backoffInitialMs: config.BACKEND_BACKOFF_MS,
        backoffMaxMs: config.BACKEND_BACKOFF_MAX_MS,
        breakerThreshold: config.BREAKER_THRESHOLD,
        breakerHalfOpenMs: config.BREAKER_HALF_OPEN_MS,
        bulkheadLimit: config.BULKHEAD_LIMIT,
        bulkheadQueue: config.BULKHEAD_QUEUE,
      },
      redisUrl: config.REDIS_URL as string | undefined,
      log,
    });
    const gatewayKeys = createRemoteJWKSet(new URL(config.GATEWAY_JWKS_URL as string), { timeoutDuration: 5_000 });
    const served = await serveSubgraph(subgraph, { port: config[options.port.variable] as number, host: config.HOST, log, gatewayKeys, tls });
    return withMetrics(served, config[options.metricsPort.variable] as number, config.HOST);
  });
}
