import { createRemoteJWKSet } from 'jose';
import { readDataDir } from '../../platform/data-dir';
import { withMetrics } from '../../platform/metrics';
import { runService } from '../../platform/run';
import { mtlsFiles, readMtlsFiles } from '../../platform/tls';
import { findSubgraph, readSubgraphList } from '../../schema/registry';
import { buildSubgraph } from './build-subgraph';
import { serveSubgraph } from './serve';
import { readSubgraphConfig } from './settings';

/**
 * `node dist/subgraphs/kit/main.js <name>`: runs the subgraph of schema/subgraphs.json named `<name>` as a process.
 * Reads its configuration once (see settings.ts), builds it from its declaration, serves GraphQL and `/metrics`, and
 * stops on SIGINT/SIGTERM (platform/run.ts).
 */
const name = process.argv[2] ?? 'subgraph';

runService(name, async (log) => {
  // A name schema/subgraphs.json does not list is a configuration error (exit 2), like a bad variable.
  const entry = findSubgraph(readSubgraphList(), name);
  const config = readSubgraphConfig(entry);
  // Mutual TLS: only clients with a certificate from our CA (the gateway) get through the handshake.
  const mtls = mtlsFiles(config.mtls);
  const tls = mtls && { ...readMtlsFiles(mtls), requestCert: true, rejectUnauthorized: true };
  const subgraph = buildSubgraph(name, {
    url: config.backendUrl,
    connections: config.connections,
    resilience: config.resilience,
    redisUrl: config.redisUrl,
    dataDir: readDataDir(),
    entityCache: config.entityCache,
    log,
  });
  const served = await serveSubgraph(subgraph, {
    name,
    port: config.port,
    host: config.host,
    log,
    gatewayKeys: createRemoteJWKSet(new URL(config.gatewayJwksUrl), { timeoutDuration: 5_000 }),
    bodyTimeoutMs: config.bodyTimeoutMs,
    maxInFlight: config.maxInFlight,
    requestDeadlineMs: config.requestDeadlineMs,
    tls,
  });
  return withMetrics(served, config.metricsPort, config.host);
});
