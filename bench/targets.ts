import { join } from 'node:path';
import { repoRoot } from '../platform/paths';
import { driveDirect, driveGateway, type LoadOptions, type LoadResult } from './load';
import { freePort } from '../platform/http';
import { subgraphTokenHeader } from './peer-tokens';
import { startProcess, type BenchProcess } from './processes';
import type { BenchStack } from './stack';
import type { Workload } from './workloads';

/** A gateway (or none) running over the bench stack, ready to take load. */
export interface RunningTarget {
  /** The gateway's process; none when the subgraphs are called directly. */
  process?: BenchProcess;
  run(workload: Workload, options: LoadOptions): Promise<LoadResult>;
  stop(): Promise<void>;
}

export interface Target {
  name: string;
  start(stack: BenchStack): Promise<RunningTarget>;
}

const dist = (path: string) => join(repoRoot, 'dist', path);

/** A GraphQL server is ready when it answers `{ __typename }`. */
const answersGraphQL = (url: string, headers: Record<string, string>) => async () =>
  (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"query":"{ __typename }"}' })).ok;

/**
 * A peer gateway in `script`, given a gateway-signed token per subgraph to forward (the subgraphs take no other), one
 * header each as `subgraphTokenHeader` names it.
 */
const peer =
  (name: string, script: string): Target['start'] =>
  async (stack) => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/graphql`;
    const forward = async () =>
      Object.fromEntries(Object.entries(await stack.internalTokens()).map(([subgraph, token]) => [subgraphTokenHeader(subgraph), `Bearer ${token}`]));
    const process = await startProcess(name, dist(script), { PORT: String(port), SUPERGRAPH_PATH: stack.supergraphPath }, async () =>
      answersGraphQL(url, await forward())(),
    );
    return { process, run: async (workload, options) => driveGateway(url, await forward(), workload, options), stop: () => process.stop() };
  };

/** Atrium's gateway as deployed, as its own process over the bench stack: OAuth verified, internal tokens signed, limits on (and high). */
export async function startAtriumGateway(
  stack: BenchStack,
  name = 'atrium',
  env: Record<string, string> = {},
): Promise<{ process: BenchProcess; url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/graphql`;
  const process = await startProcess(
    name,
    dist('gateway/index.js'),
    {
      GATEWAY_PORT: String(port),
      GATEWAY_METRICS_PORT: '0',
      SUPERGRAPH_PATH: stack.supergraphPath,
      GATEWAY_SIGNING_KEY_FILE: stack.signingKeyFile,
      DATABASE_URL: stack.databaseUrl,
      OAUTH_ISSUER: stack.oauth.issuer,
      OAUTH_AUDIENCE: stack.oauth.audience,
      OAUTH_JWKS_URL: stack.oauth.jwksUrl,
      RATE_LIMIT_RATE: '100000',
      RATE_LIMIT_BURST: '1000000',
      EXPLORER: 'off',
      ...env,
    },
    `http://127.0.0.1:${port}/ready`,
  );
  return { process, url };
}

/** Atrium's gateway as deployed (see startAtriumGateway). */
export function atrium(name = 'atrium', env: Record<string, string> = {}): Target {
  return {
    name,
    async start(stack) {
      const { process, url } = await startAtriumGateway(stack, name, env);
      const headers = { authorization: `Bearer ${await stack.accessToken()}` };
      return { process, run: (workload, options) => driveGateway(url, headers, workload, options), stop: () => process.stop() };
    },
  };
}

export const TARGETS: Target[] = [
  atrium(),
  { name: 'apollo-gateway', start: peer('apollo-gateway', 'bench/stock-gateway.js') },
  { name: 'hive-gateway', start: peer('hive-gateway', 'bench/hive-gateway.js') },
  {
    name: 'direct',
    start: async (stack) => ({
      run: async (workload, options) => driveDirect(stack.subgraphUrls, await stack.internalTokens(), workload, options),
      stop: async () => undefined,
    }),
  },
];
