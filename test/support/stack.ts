import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint, createRemoteJWKSet, exportJWK, exportPKCS8, generateKeyPair, type JWTVerifyGetKey } from 'jose';
import { readGatewayConfig } from '../../gateway/config';
import { JWKS_PATH, startGateway } from '../../gateway/server';
import { startIdentityProvider, type IdentityProvider } from '../../legacy/identity-provider/server';
import { noFaults, type FaultSettings } from '../../legacy/kit/faults';
import { standInOf } from '../../legacy/kit/stand-in';
import { requestDevelopmentToken, type DevelopmentTokenRequest } from '../../platform/development-token';
import { closeServer, freePort, listen } from '../../platform/http';
import { silentLogger, type Logger } from '../../platform/log';
import type { RunningService } from '../../platform/run';
import type { BackendSettings } from '../../subgraphs/kit/backend-link';
import { settingDefaults } from '../../platform/env';
import {
  backendUrlAt,
  readSubgraphList,
  standInsOf,
  standInUrlAt,
  standInVariables,
  variablesOf,
  webhookVariablesFor,
  type SubgraphEntry,
} from '../../schema/registry';
import { throwawayDatabase } from '../../scripts/throwaway-database';
import { buildSubgraph } from '../../subgraphs/kit/build-subgraph';
import { defaultResilience, type ResilienceSettings } from '../../subgraphs/kit/resilience';
import { serveSubgraph } from '../../subgraphs/kit/serve';
import { subgraphSettings } from '../../subgraphs/kit/settings';
import { SCOPES, type Identity } from '../../platform/identity';
import { signInternalToken } from '../../platform/internal-token';
import type { OperationResult } from './operations';

/** A backend's name in schema/subgraphs.json: `crm`, `erp`, `preference-service`, `helpdesk`… */
export type BackendName = string;

/** Business calls one backend answered, as its `/_admin/stats` reports them. */
export interface BackendCalls {
  total: number;
  calls: Record<string, number>;
}

export interface Stack {
  gatewayUrl: string;
  identityProvider: IdentityProvider;
  /** The gateway's API key file; tests write keys into it. */
  apiKeysFile: string;
  /** The environment the stack's gateway was started with: another gateway started with it is trusted by the subgraphs. */
  gatewayEnv: Record<string, string>;
  /** Starts one more gateway over the same subgraphs (a replica, or one in another mode); stopped with the stack. */
  startGateway(env?: Record<string, string>): Promise<RunningService>;
  backendUrls: Record<BackendName, string>;
  /** The stack's own database (DATABASE_URL): the payment workflows' state and the event log. */
  databaseUrl: string;
  subgraphUrls: Record<string, string>;
  /** A token as the gateway signs it for `subgraph` (refused by the others): for calling that subgraph directly. */
  internalToken(identity: Identity, subgraph: string): Promise<string>;
  /** A real access token from the stack's identity provider (client-credentials grant). */
  token(request?: DevelopmentTokenRequest): Promise<string>;
  /** Sends an operation to the gateway over HTTP, as a service with every scope unless `headers` carry credentials. */
  query(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<OperationResult & { status: number }>;
  /** Business calls each backend answered since the last reset, read from its `/_admin/stats` over HTTP. */
  calls(): Promise<Record<BackendName, BackendCalls>>;
  resetCalls(): Promise<void>;
  setFaults(backend: BackendName, faults: Partial<FaultSettings>): Promise<void>;
  stop(): Promise<void>;
}

async function post(url: string, body: unknown): Promise<unknown> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

/**
 * The whole Atrium stack in this process, every service on its own ephemeral port: the stand-in of every backend of
 * schema/subgraphs.json, every subgraph over its backend, and the gateway serving the committed supergraph with
 * routing URLs pointed at those ports.
 */
export async function startStack(
  options: {
    /** How subgraphs call their backends; the defaults otherwise. */
    resilience?: Partial<ResilienceSettings>;
    gatewayEnv?: Record<string, string>;
    /** Each service's logger; silent unless a test reads the logs. */
    logFor?: (service: string) => Logger;
    /** A folder made by scripts/dev-certs.sh: subgraphs then serve HTTPS and demand the gateway's client certificate. */
    mtlsCertDir?: string;
    /** Subgraphs keep backend reads fresh (`ENTITY_CACHE=on`), in memory or in the Redis at `redisUrl`. */
    entityCache?: boolean;
    redisUrl?: string;
  } = {},
): Promise<Stack> {
  const stops: Array<() => Promise<void>> = [];
  const logFor = options.logFor ?? (() => silentLogger);
  const scratch = mkdtempSync(join(tmpdir(), 'atrium-stack-'));
  stops.push(async () => rmSync(scratch, { recursive: true, force: true }));
  try {
    const identityProvider = await startIdentityProvider({ port: 0, host: '127.0.0.1', audience: 'atrium' });
    stops.push(() => identityProvider.stop());
    const token = (request: DevelopmentTokenRequest = {}) => requestDevelopmentToken(identityProvider.tokenUrl, { clientId: 'atrium-tests', ...request });

    const registry = readSubgraphList();
    const certs = options.mtlsCertDir;
    // A stand-in that posts webhooks (payments, helpdesk) is told its subgraph's address as it starts, so that subgraph's
    // port is chosen first. Over mutual TLS the subgraph takes none without the gateway's certificate: no webhooks then.
    const subgraphPorts: Record<string, number> = {};
    for (const entry of registry) if (!certs && standInsOf(entry).some((standIn) => standIn.webhooks)) subgraphPorts[entry.name] = await freePort();
    const backendUrls: Record<BackendName, string> = {};
    for (const entry of registry) {
      for (const standIn of standInsOf(entry)) {
        const port = subgraphPorts[entry.name];
        // Orders stay where a test put them: the ERP's fulfilment moves them only when asked (`/_admin/orders/<id>/advance`).
        const env = {
          ...process.env,
          ERP_FULFILMENT_PACE: 'off',
          ...(port === undefined ? {} : webhookVariablesFor(standIn, `http://127.0.0.1:${port}`)),
        };
        const { server } = await standInOf(standIn.name)({ log: logFor(standIn.name), faults: noFaults, stateDir: join(scratch, standIn.name), env });
        backendUrls[standIn.name] = await listen(server, 0, '127.0.0.1');
        stops.push(() => closeServer(server));
      }
    }
    // The payment workflows' state, in a database of this stack's own.
    const database = await throwawayDatabase();
    stops.push(() => database.drop());
    const backendNames = Object.keys(backendUrls);

    // Subgraphs trust the gateway's JWKS, fetched over HTTP like in production once the gateway listens.
    const gatewayJwks: { keys?: JWTVerifyGetKey } = {};
    const gatewayKeys: JWTVerifyGetKey = (header, token) => {
      if (!gatewayJwks.keys) throw new Error('the gateway has not started');
      return gatewayJwks.keys(header, token);
    };
    const pem = (name: string) => readFileSync(join(certs as string, name));
    const tls = certs ? { ca: pem('ca.crt'), cert: pem('subgraph.crt'), key: pem('subgraph.key'), requestCert: true, rejectUnauthorized: true } : undefined;
    const mtlsEnv: Record<string, string> = certs
      ? { MTLS: 'on', MTLS_CA: join(certs, 'ca.crt'), MTLS_CERT: join(certs, 'gateway.crt'), MTLS_KEY: join(certs, 'gateway.key') }
      : {};
    const { requestDeadlineMs } = settingDefaults(subgraphSettings);
    const settings = (entry: SubgraphEntry, url: string): BackendSettings => ({
      url,
      connections: 8,
      resilience: { ...defaultResilience, ...options.resilience },
      entityCache: options.entityCache,
      redisUrl: options.redisUrl,
      dataDir: join(scratch, 'data'),
      log: logFor(entry.name),
      env: {
        ...process.env,
        DATABASE_URL: database.url,
        // Reconciliation would add its own backend calls to what a test counts.
        RECONCILE_EVERY: '60m',
        // So would the change-feed poller.
        ERP_FEED_POLL_MS: '0',
        ...Object.fromEntries(standInsOf(entry).map((standIn) => [standInVariables(standIn).url, standInUrlAt(standIn, backendUrls[standIn.name] as string)])),
      },
    });
    const subgraphUrls: Record<string, string> = {};
    for (const entry of registry) {
      const subgraph = buildSubgraph(entry.name, settings(entry, backendUrlAt(entry, backendUrls[entry.backend.name] as string)));
      const running = await serveSubgraph(subgraph, {
        name: entry.name,
        port: subgraphPorts[entry.name] ?? 0,
        host: '127.0.0.1',
        log: logFor(entry.name),
        gatewayKeys,
        requestDeadlineMs,
        tls,
      });
      stops.push(() => running.stop());
      subgraphUrls[entry.name] = running.url;
    }

    const apiKeysFile = join(scratch, 'api-keys.json');
    const signingKeyFile = join(scratch, 'gateway-signing-key.pem');
    const signingKey = (await generateKeyPair('ES256', { extractable: true })).privateKey;
    writeFileSync(signingKeyFile, await exportPKCS8(signingKey));
    const { d: _private, ...signingJwk } = await exportJWK(signingKey);
    const signingKid = await calculateJwkThumbprint(signingJwk);
    const gatewayEnv = {
      GATEWAY_PORT: '0',
      OAUTH_ISSUER: identityProvider.issuer,
      OAUTH_AUDIENCE: 'atrium',
      OAUTH_JWKS_URL: identityProvider.jwksUrl,
      API_KEYS_FILE: apiKeysFile,
      GATEWAY_SIGNING_KEY_FILE: signingKeyFile,
      RATE_LIMIT_RATE: '1000',
      RATE_LIMIT_BURST: '2000',
      DATABASE_URL: database.url,
      ...mtlsEnv,
      ...options.gatewayEnv,
      ...Object.fromEntries(registry.map((entry) => [variablesOf(entry).gatewayUrl, subgraphUrls[entry.name] as string])),
    };
    const gateway = await startGateway(readGatewayConfig(gatewayEnv), logFor('gateway'));
    stops.push(() => gateway.stop());
    gatewayJwks.keys = createRemoteJWKSet(new URL(gateway.url.replace('/graphql', JWKS_PATH)));
    const serviceToken = await token({ role: 'service', scopes: SCOPES.join(' ') });

    return {
      gatewayUrl: gateway.url,
      identityProvider,
      apiKeysFile,
      gatewayEnv,
      async startGateway(env = {}) {
        const another = await startGateway(readGatewayConfig({ ...gatewayEnv, ...env }), silentLogger);
        stops.push(() => another.stop());
        return another;
      },
      token,
      internalToken: (identity, subgraph) => signInternalToken(identity, subgraph, { privateKey: signingKey, kid: signingKid }),
      backendUrls,
      databaseUrl: database.url,
      subgraphUrls,
      async query(query, variables, headers = {}) {
        const credentials: Record<string, string> = 'authorization' in headers || 'x-api-key' in headers ? {} : { authorization: `Bearer ${serviceToken}` };
        const response = await fetch(gateway.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...credentials, ...headers },
          body: JSON.stringify({ query, variables }),
        });
        return { status: response.status, ...((await response.json()) as OperationResult) };
      },
      async calls() {
        const entries = await Promise.all(backendNames.map(async (name) => [name, await (await fetch(`${backendUrls[name]}/_admin/stats`)).json()] as const));
        return Object.fromEntries(entries) as Awaited<ReturnType<Stack['calls']>>;
      },
      async resetCalls() {
        await Promise.all(backendNames.map((name) => post(`${backendUrls[name]}/_admin/reset`, {})));
      },
      async setFaults(backend, faults) {
        await post(`${backendUrls[backend]}/_admin/faults`, faults);
      },
      stop: () => stopAll(stops),
    };
  } catch (error) {
    await stopAll(stops);
    throw error;
  }
}

async function stopAll(stops: Array<() => Promise<void>>): Promise<void> {
  for (const stop of stops.reverse()) await stop();
}
