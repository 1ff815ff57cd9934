import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportPKCS8, generateKeyPair } from 'jose';
import { loadSigningKey } from '../gateway/auth/signing-key';
import { requestDevelopmentToken } from '../platform/development-token';
import { closeServer, freePort, listen, sendJson } from '../platform/http';
import { SCOPES, type Identity } from '../platform/identity';
import { signInternalToken } from '../platform/internal-token';
import { repoRoot } from '../platform/paths';
import {
  readSubgraphList,
  standInCommand,
  standInsOf,
  standInUrlAt,
  standInVariables,
  subgraphCommand,
  variablesOf,
  webhookVariablesFor,
} from '../schema/registry';
import { throwawayDatabase } from '../scripts/throwaway-database';
import { startProcess, type BenchProcess } from './processes';

const dist = (path: string) => join(repoRoot, 'dist', path);

/** The zero-trust subgraphs and legacy backends every gateway under test shares, each in its own process. */
export interface BenchStack {
  /** The committed supergraph with routing URLs pointed at this stack's subgraphs. */
  supergraphPath: string;
  /** The key gateway-signed tokens are made with; the subgraphs trust its public half. */
  signingKeyFile: string;
  /** The stack's own database: the workflows' state and the event log. */
  databaseUrl: string;
  oauth: { issuer: string; jwksUrl: string; audience: string };
  subgraphUrls: Record<string, string>;
  /** By subgraph: the URL its adapter calls its backend at. */
  subgraphBackendUrls: Record<string, string>;
  /** By subgraph: the environment its process was started with (backend and provider URLs, DATABASE_URL…). */
  subgraphEnv: Record<string, Record<string, string>>;
  subgraphs: BenchProcess[];
  backends: BenchProcess[];
  /** A bearer token for Atrium: a service with every scope, from the identity provider. */
  accessToken(): Promise<string>;
  /** By subgraph: what a gateway forwards to it for that service (signed like Atrium signs it), for peers and direct calls. */
  internalTokens(): Promise<Record<string, string>>;
  /** Business calls all backends answered so far. */
  businessCalls(): Promise<number>;
  /** Injects this latency into every backend call. */
  setBackendLatency(ms: number): Promise<void>;
  stop(): Promise<void>;
}

/** The caller every bench token names: a service with every scope. */
export const SERVICE: Identity = { subject: 'bench', clientId: 'bench', role: 'service', scopes: [...SCOPES], via: 'oauth' };

/** `entityCache`: the subgraphs keep backend reads fresh (`ENTITY_CACHE=on`). */
export async function startBenchStack(options: { entityCache?: boolean } = {}): Promise<BenchStack> {
  const scratch = mkdtempSync(join(tmpdir(), 'atrium-bench-'));
  const started: BenchProcess[] = [];
  const database = await throwawayDatabase();
  const stopAll = async () => {
    await Promise.all(started.map((p) => p.stop()));
    await database.drop();
    rmSync(scratch, { recursive: true, force: true });
  };
  try {
    const signingKeyFile = join(scratch, 'signing-key.pem');
    writeFileSync(signingKeyFile, await exportPKCS8((await generateKeyPair('ES256', { extractable: true })).privateKey));
    const signingKey = await loadSigningKey(signingKeyFile);
    const jwksServer = createServer((_req, res) => sendJson(res, 200, signingKey.jwks));
    const jwksUrl = `${await listen(jwksServer, 0, '127.0.0.1')}/jwks`;

    const idpPort = await freePort();
    const issuer = `http://127.0.0.1:${idpPort}`;
    started.push(await startProcess('identity-provider', dist('legacy/identity-provider/index.js'), { IDP_PORT: String(idpPort) }, `${issuer}/jwks`));

    const registry = readSubgraphList();
    const backends: BenchProcess[] = [];
    const backendUrls: Record<string, string> = {};
    // Chosen first: a stand-in that posts webhooks is told its subgraph's address as it starts.
    const subgraphPorts = Object.fromEntries(await Promise.all(registry.map(async (entry) => [entry.name, await freePort()] as const)));
    for (const entry of registry) {
      for (const standIn of standInsOf(entry)) {
        const port = await freePort();
        const base = `http://127.0.0.1:${port}`;
        const command = standInCommand(standIn);
        const env = { [standInVariables(standIn).port]: String(port), ...webhookVariablesFor(standIn, `http://127.0.0.1:${subgraphPorts[entry.name]}`) };
        backends.push(await startProcess(standIn.name, dist(command.script), env, `${base}/health`, command.args));
        backendUrls[standIn.name] = standInUrlAt(standIn, base);
      }
    }
    started.push(...backends);

    const subgraphs: BenchProcess[] = [];
    const subgraphUrls: Record<string, string> = {};
    const subgraphEnv: Record<string, Record<string, string>> = {};
    for (const entry of registry) {
      const port = subgraphPorts[entry.name] as number;
      const variables = variablesOf(entry);
      const env = {
        [variables.port]: String(port),
        [variables.metricsPort]: '0',
        ...Object.fromEntries(standInsOf(entry).map((standIn) => [standInVariables(standIn).url, backendUrls[standIn.name] as string])),
        DATABASE_URL: database.url,
        // Reconciliation would add its own backend calls to the ones counted per request.
        RECONCILE_EVERY: '60m',
        GATEWAY_JWKS_URL: jwksUrl,
        ENTITY_CACHE: options.entityCache ? 'on' : 'off',
      };
      subgraphEnv[entry.name] = env;
      const command = subgraphCommand(entry);
      subgraphs.push(await startProcess(entry.name, dist(command.script), env, `http://127.0.0.1:${port}/health`, command.args));
      subgraphUrls[entry.name] = `http://127.0.0.1:${port}/graphql`;
    }
    started.push(...subgraphs);

    let supergraph = readFileSync(join(repoRoot, 'schema', 'supergraph.graphql'), 'utf8');
    for (const entry of registry) supergraph = supergraph.replaceAll(`"${entry.routingUrl}"`, `"${subgraphUrls[entry.name]}"`);
    const supergraphPath = join(scratch, 'supergraph.graphql');
    writeFileSync(supergraphPath, supergraph);

    const statsOf = async (url: string) => ((await (await fetch(`${url}/_admin/stats`)).json()) as { total: number }).total;
    const backendBases = Object.values(backendUrls).map((url) => new URL(url).origin);
    return {
      supergraphPath,
      signingKeyFile,
      databaseUrl: database.url,
      oauth: { issuer, jwksUrl: `${issuer}/jwks`, audience: 'atrium' },
      subgraphUrls,
      subgraphBackendUrls: Object.fromEntries(registry.map((entry) => [entry.name, backendUrls[entry.backend.name] as string])),
      subgraphEnv,
      subgraphs,
      backends,
      accessToken: () =>
        requestDevelopmentToken(`${issuer}/token`, { clientId: 'bench', sub: 'bench', role: 'service', scopes: SCOPES.join(' '), ttlSeconds: 3600 }),
      internalTokens: async () =>
        Object.fromEntries(await Promise.all(registry.map(async ({ name }) => [name, await signInternalToken(SERVICE, name, signingKey)] as const))),
      businessCalls: async () => (await Promise.all(backendBases.map(statsOf))).reduce((sum, n) => sum + n, 0),
      async setBackendLatency(ms) {
        await Promise.all(
          backendBases.map((base) =>
            fetch(`${base}/_admin/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ latencyMs: ms }) }),
          ),
        );
      },
      async stop() {
        await closeServer(jwksServer);
        await stopAll();
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
