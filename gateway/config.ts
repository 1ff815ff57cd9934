import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, hostVar, intVar, portVar, readEnv, urlVar } from '../platform/env';
import { repoRoot } from '../platform/paths';

/** The gateway's settings, read and checked once at start-up. */
export interface GatewayConfig {
  host: string;
  port: number;
  supergraphPath: string;
  /** Per subgraph fetch. */
  subgraphTimeoutMs: number;
  /** Keep-alive connections per subgraph. */
  subgraphConnections: number;
  maxBodyBytes: number;
  /** Routing URLs that replace the supergraph's, by subgraph name (from `SUBGRAPH_<NAME>_URL`). */
  subgraphUrls: Record<string, string>;
}

const SUBGRAPH_URL_VAR = /^SUBGRAPH_([A-Z0-9_]+)_URL$/;

/** Reads the gateway's configuration from the environment; a bad value throws a ConfigError naming the variable. */
export function readGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const base = readEnv(
    {
      HOST: hostVar(),
      GATEWAY_PORT: portVar(4000),
      SUPERGRAPH_PATH: z.string().min(1, 'must not be empty').default(join(repoRoot, 'schema', 'supergraph.graphql')),
      SUBGRAPH_TIMEOUT_MS: intVar(10_000, 1, 300_000),
      SUBGRAPH_CONNECTIONS: intVar(64, 1, 4_096),
      MAX_BODY_BYTES: intVar(100_000, 1_000, 10_000_000),
    },
    env,
  );
  const urlVars = Object.keys(env).filter((name) => SUBGRAPH_URL_VAR.test(name));
  const urls = readEnv(Object.fromEntries(urlVars.map((name) => [name, urlVar('')])), env);
  const subgraphUrls: Record<string, string> = {};
  for (const name of urlVars) {
    // SUBGRAPH_SUPPORT_TICKETS_URL → support-tickets
    const subgraph = (SUBGRAPH_URL_VAR.exec(name)?.[1] ?? '').toLowerCase().replace(/_/g, '-');
    if (!urls[name]) throw new ConfigError(`invalid configuration:\n  ${name}: must be an absolute http:// or https:// URL`);
    subgraphUrls[subgraph] = urls[name] as string;
  }
  return {
    host: base.HOST,
    port: base.GATEWAY_PORT,
    supergraphPath: base.SUPERGRAPH_PATH,
    subgraphTimeoutMs: base.SUBGRAPH_TIMEOUT_MS,
    subgraphConnections: base.SUBGRAPH_CONNECTIONS,
    maxBodyBytes: base.MAX_BODY_BYTES,
    subgraphUrls,
  };
}
