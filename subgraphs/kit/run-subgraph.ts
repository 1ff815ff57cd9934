import { createRemoteJWKSet } from 'jose';
import { z } from 'zod';
import { ConfigError, flagVar, hostVar, intVar, portVar, readEnv, urlVar } from '../../platform/env';
import type { Logger } from '../../platform/log';
import { runService } from '../../platform/run';
import { readPemFiles } from '../../platform/tls';
import { serveSubgraph, type Subgraph } from './serve';

/** How a subgraph reaches its backend, as read from the environment. */
export interface BackendSettings {
  url: string;
  timeoutMs: number;
  connections: number;
  log: Logger;
}

const optional = z.string().min(1, 'must not be empty').optional();

/**
 * The body of a subgraph's `index.ts`. Reads `HOST`, `<portVar>`, `<backendUrlVar>`, `BACKEND_TIMEOUT_MS`,
 * `BACKEND_CONNECTIONS`, `GATEWAY_JWKS_URL` and the `MTLS_*` settings once, builds the subgraph and serves it until
 * SIGINT/SIGTERM.
 */
export function runSubgraph<TBackends extends object>(options: {
  name: string;
  port: { variable: string; default: number };
  backendUrl: { variable: string; default: string };
  create(backend: BackendSettings): Subgraph<TBackends>;
}): void {
  runService(options.name, async (log) => {
    const config = readEnv({
      HOST: hostVar(),
      [options.port.variable]: portVar(options.port.default),
      [options.backendUrl.variable]: urlVar(options.backendUrl.default),
      BACKEND_TIMEOUT_MS: intVar(5_000, 1, 120_000),
      BACKEND_CONNECTIONS: intVar(32, 1, 1_024),
      GATEWAY_JWKS_URL: urlVar('http://127.0.0.1:4000/.well-known/jwks.json'),
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
      timeoutMs: config.BACKEND_TIMEOUT_MS,
      connections: config.BACKEND_CONNECTIONS,
      log,
    });
    const gatewayKeys = createRemoteJWKSet(new URL(config.GATEWAY_JWKS_URL as string), { timeoutDuration: 5_000 });
    return serveSubgraph(subgraph, { port: config[options.port.variable] as number, host: config.HOST, log, gatewayKeys, tls });
  });
}
