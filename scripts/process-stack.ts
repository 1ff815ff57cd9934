import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { exportPKCS8, generateKeyPair } from 'jose';
import { loadSigningKey } from '../gateway/auth/signing-key';
import { requestDevelopmentToken, type DevelopmentTokenRequest } from '../platform/development-token';
import { freePort } from '../platform/http';
import type { Identity } from '../platform/identity';
import { signInternalToken } from '../platform/internal-token';
import { repoRoot } from '../platform/paths';
import { throwawayDatabase } from './throwaway-database';
import {
  readSubgraphList,
  standInCommand,
  standInsOf,
  standInUrlAt,
  standInVariables,
  subgraphCommand,
  variablesOf,
  webhookVariablesFor,
  type ServiceCommand,
} from '../schema/registry';

/** One log line a service wrote, parsed when it is JSON (pino's `level` 50 is error, 60 fatal). */
export interface LogLine {
  service: string;
  text: string;
  level?: number;
  msg?: string;
}

/** A built service running as its own process, as in production: it can be signalled, killed and started again. */
export interface ServiceProcess {
  name: string;
  /** `http://127.0.0.1:<port>`: where the service listens (its GraphQL path, if any, not included). */
  base: string;
  pid(): number | undefined;
  /** Sends a real signal. */
  signal(signal: NodeJS.Signals): void;
  /** Resolves when the current process exits, with how. */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /**
   * Starts the process again (after it exited) with the same port and environment, `env` over it for this start only,
   * and waits until it is ready.
   */
  restart(env?: Record<string, string>): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** The whole stack as real processes on free loopback ports, each service with the production environment. */
export interface ProcessStack {
  gatewayUrl: string;
  /** Every gateway replica's URL, `gatewayUrl` first. */
  gatewayUrls: string[];
  /** By subgraph name: `http://127.0.0.1:<port>/graphql`. */
  subgraphUrls: Record<string, string>;
  /** By backend name (`crm`, `erp`…): the base URL, where `/_admin/*` is served. */
  backendUrls: Record<string, string>;
  /** Where the services keep what must survive a restart (`ATRIUM_DATA_DIR`). */
  dataDir: string;
  /** The payment workflows' database (`DATABASE_URL`). */
  databaseUrl: string;
  /** Every process by service name: `gateway`, each subgraph, each backend, `identity-provider` (and `events` when asked). */
  services: Record<string, ServiceProcess>;
  /** An access token from the stack's issuer (client-credentials grant), as a client would get one. */
  token(request: DevelopmentTokenRequest): Promise<string>;
  /** A token as the stack's gateway signs it for `subgraph` (refused by the others): for calling that subgraph directly. */
  internalToken(identity: Identity, subgraph: string): Promise<string>;
  /** Every line every service wrote since start (or since `clearLogs`). */
  logs(): LogLine[];
  clearLogs(): void;
  /** `POST /_admin/faults` on a backend. */
  setFaults(backend: string, faults: Record<string, unknown>): Promise<void>;
  /** `GET /_admin/stats` of a backend: business calls answered since its last reset. */
  calls(backend: string): Promise<{ total: number; calls: Record<string, number> }>;
  resetCalls(): Promise<void>;
  /** `GET /_admin/in-flight` of a backend: business calls it is serving right now. */
  inFlight(backend: string): Promise<number>;
  stop(): Promise<void>;
}

export interface ProcessStackOptions {
  /** Extra environment for every service (a subgraph's backend settings, say). */
  env?: Record<string, string>;
  /** Extra environment by service name, over `env`. */
  serviceEnv?: Record<string, Record<string, string>>;
  /** Where state that must survive restarts is kept; a fresh temporary folder (removed on stop) when unset. */
  dataDir?: string;
  /** Also run the events service (the event log's sequencer and partner webhooks), as `services.events`. */
  events?: boolean;
  /** Gateway replicas over the same subgraphs, signing with one key: `gateway`, `gateway-2`… (default 1). */
  gateways?: number;
}

/** The events service's entry, as `npm start` runs it. */
export const EVENTS_COMMAND: ServiceCommand = { script: 'platform/events/service/index.js', args: [] };

/**
 * Starts the built events service alone on a free loopback port, in production mode, on `databaseUrl`, with `env`
 * over its defaults (short backoffs, say); its log lines go to `sink`. For tests of the service itself.
 */
export async function startEventsProcess(
  databaseUrl: string,
  env: Record<string, string> = {},
  sink: (line: LogLine) => void = () => undefined,
): Promise<ServiceProcess> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const service = serviceProcess(
    'events',
    EVENTS_COMMAND,
    base,
    `${base}/ready`,
    {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      EVENTS_PORT: String(port),
      EVENTS_METRICS_PORT: '0',
      ...env,
    },
    sink,
  ) as ServiceProcess & { start(): Promise<void> };
  await service.start();
  return service;
}

const dist = (path: string) => join(repoRoot, 'dist', path);
const READY_TIMEOUT_MS = 60_000;

function parseLine(service: string, text: string): LogLine {
  try {
    const parsed = JSON.parse(text) as { level?: unknown; msg?: unknown };
    return { service, text, level: typeof parsed.level === 'number' ? parsed.level : undefined, msg: typeof parsed.msg === 'string' ? parsed.msg : undefined };
  } catch {
    return { service, text };
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(1_000) })).ok;
  } catch {
    return false;
  }
}

/** Spawns `node dist/<script> <args…>` and keeps it restartable; its output goes to `sink`, line by line. */
function serviceProcess(
  name: string,
  command: ServiceCommand,
  base: string,
  readyUrl: string,
  env: NodeJS.ProcessEnv,
  sink: (line: LogLine) => void,
): ServiceProcess {
  let child: ChildProcess | undefined;
  let exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> = Promise.resolve({ code: null, signal: null });
  let recent = '';

  const start = async (extra: Record<string, string> = {}) => {
    const spawned = spawn(process.execPath, [dist(command.script), ...command.args], { env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
    child = spawned;
    exit = new Promise((resolve) => spawned.once('exit', (code, signal) => resolve({ code, signal })));
    for (const stream of [spawned.stdout, spawned.stderr]) {
      let pending = '';
      stream?.on('data', (chunk: Buffer) => {
        const text = pending + chunk.toString();
        const lines = text.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) if (line !== '') sink(parseLine(name, line));
        recent = (recent + chunk.toString()).slice(-4_000);
      });
    }
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await answers(readyUrl))) {
      if (spawned.exitCode !== null) throw new Error(`${name} exited with ${spawned.exitCode} before it was ready:\n${recent}`);
      if (Date.now() > deadline) throw new Error(`${name} was not ready at ${readyUrl} within ${READY_TIMEOUT_MS / 1000} s:\n${recent}`);
      await sleep(50);
    }
  };
  const alive = () => child !== undefined && child.exitCode === null && child.signalCode === null;

  const service: ServiceProcess & { start(): Promise<void> } = {
    name,
    base,
    start,
    pid: () => child?.pid,
    signal: (signal) => void child?.kill(signal),
    exited: () => exit,
    async restart(extra) {
      if (alive()) throw new Error(`${name} is still running`);
      await start(extra);
    },
    async stop(graceMs = 15_000) {
      if (!alive()) return;
      child?.kill('SIGTERM');
      const timer = setTimeout(() => child?.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
  return service;
}

/** A read that touches every subgraph and backend: every service is ready and keys are fetched once it is served whole. */
const EVERY_SUBGRAPH = '{ customer(id: "cust-1") { id orders(first: 1) { id } preferences { language } supportTickets { id } } }';

/**
 * Waits until a read through the gateway comes back whole: each service answering its health check is not yet the
 * stack working (issuer and gateway keys are fetched, and the ERP's WSDL read, on first use).
 */
async function answersEndToEnd(gatewayUrl: string, tokenUrl: string): Promise<void> {
  const token = await requestDevelopmentToken(tokenUrl, {
    clientId: 'atrium-processes',
    sub: 'stack-check',
    role: 'service',
    scopes: 'customers:read orders:read preferences:read tickets:read',
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last: string;
  for (;;) {
    try {
      const response = await fetch(gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: EVERY_SUBGRAPH }),
        signal: AbortSignal.timeout(10_000),
      });
      last = `HTTP ${response.status} ${(await response.text()).slice(0, 300)}`;
      if (response.ok && !last.includes('"errors"')) return;
    } catch (error) {
      last = String(error);
    }
    if (Date.now() > deadline) throw new Error(`the stack never answered a read through the gateway whole: ${last}`);
    await sleep(200);
  }
}

/**
 * Starts the built stack (`npm run build` first) as `npm start` would, but each service on a free loopback port and with
 * `NODE_ENV=production`: the legacy backends, the subgraphs of schema/subgraphs.json and the gateway. The issuer is the
 * one exception: it stands in for the company's identity provider and never runs in production, so it runs as in development.
 */
export async function startProcessStack(options: ProcessStackOptions = {}): Promise<ProcessStack> {
  const scratch = mkdtempSync(join(tmpdir(), 'atrium-processes-'));
  const dataDir = options.dataDir ?? join(scratch, 'data');
  const lines: LogLine[] = [];
  const sink = (line: LogLine) => void lines.push(line);
  const started: ServiceProcess[] = [];
  // The payment workflows' state: a database of its own, unless the caller gives one (to start a stack again on it).
  const database = options.env?.DATABASE_URL ? undefined : await throwawayDatabase();
  const stopAll = async () => {
    for (const service of [...started].reverse()) await service.stop();
    await database?.drop();
    rmSync(scratch, { recursive: true, force: true });
  };
  const helpdeskSecret = `whsec_${randomBytes(24).toString('hex')}`;
  const baseEnv = (name: string, own: Record<string, string>): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    ATRIUM_DATA_DIR: dataDir,
    ...(database ? { DATABASE_URL: database.url } : {}),
    // Reconciliation would add its own backend calls to what a scenario counts: hourly unless asked for.
    RECONCILE_EVERY: '60m',
    // So would the change-feed poller, and orders moving on their own would change what a scenario reads: off unless asked for.
    ERP_FEED_POLL_MS: '0',
    ERP_FULFILMENT_PACE: 'off',
    // Tickets change only when a scenario changes them; production refuses the development webhook secret.
    HELPDESK_ACTIVITY_PACE: 'off',
    HELPDESK_WEBHOOK_SECRET: helpdeskSecret,
    ...options.env,
    ...own,
    ...options.serviceEnv?.[name],
  });
  const run = async (name: string, command: ServiceCommand, port: number, own: Record<string, string>, readyPath: string, env?: NodeJS.ProcessEnv) => {
    const base = `http://127.0.0.1:${port}`;
    const service = serviceProcess(name, command, base, `${base}${readyPath}`, env ?? baseEnv(name, own), sink) as ServiceProcess & { start(): Promise<void> };
    started.push(service);
    await service.start();
    return service;
  };

  try {
    const registry = readSubgraphList();
    // Ports are chosen before their services bind them: none may be handed out twice.
    const chosen = new Set<number>();
    const newPort = async (): Promise<number> => {
      let port = await freePort();
      while (chosen.has(port)) port = await freePort();
      chosen.add(port);
      return port;
    };
    const gatewayPorts = await Promise.all(Array.from({ length: options.gateways ?? 1 }, () => newPort()));
    const gatewayPort = gatewayPorts[0] as number;
    const signingKeyFile = join(scratch, 'gateway-signing-key.pem');
    writeFileSync(signingKeyFile, await exportPKCS8((await generateKeyPair('ES256', { extractable: true })).privateKey), { mode: 0o600 });
    const gatewayKey = await loadSigningKey(signingKeyFile);

    const idpPort = await newPort();
    const issuer = `http://127.0.0.1:${idpPort}`;
    const identityProvider = await run('identity-provider', { script: 'legacy/identity-provider/index.js', args: [] }, idpPort, {}, '/jwks', {
      PATH: process.env.PATH,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      IDP_PORT: String(idpPort),
      OAUTH_AUDIENCE: 'atrium',
    });

    const subgraphPorts = Object.fromEntries(await Promise.all(registry.map(async (entry) => [entry.name, await newPort()] as const)));
    const backendUrls: Record<string, string> = {};
    const backends = await Promise.all(
      registry.flatMap((entry) =>
        standInsOf(entry).map(async (standIn) => {
          const port = await newPort();
          backendUrls[standIn.name] = `http://127.0.0.1:${port}`;
          // A stand-in that posts webhooks signs them for the subgraph that calls it, at /webhooks/<name>.
          const webhook = webhookVariablesFor(standIn, `http://127.0.0.1:${subgraphPorts[entry.name]}`);
          return run(standIn.name, standInCommand(standIn), port, { [standInVariables(standIn).port]: String(port), ...webhook }, '/health');
        }),
      ),
    );

    const subgraphUrls: Record<string, string> = {};
    const subgraphs = await Promise.all(
      registry.map(async (entry) => {
        const port = subgraphPorts[entry.name] as number;
        subgraphUrls[entry.name] = `http://127.0.0.1:${port}/graphql`;
        const variables = variablesOf(entry);
        return run(
          entry.name,
          subgraphCommand(entry),
          port,
          {
            [variables.port]: String(port),
            [variables.metricsPort]: '0',
            ...Object.fromEntries(
              standInsOf(entry).map((standIn) => [standInVariables(standIn).url, standInUrlAt(standIn, backendUrls[standIn.name] as string)]),
            ),
            GATEWAY_JWKS_URL: `http://127.0.0.1:${gatewayPort}/.well-known/jwks.json`,
          },
          '/health',
        );
      }),
    );

    const gatewayAt = (port: number, n: number) =>
      run(
        n === 0 ? 'gateway' : `gateway-${n + 1}`,
        { script: 'gateway/index.js', args: [] },
        port,
        {
          GATEWAY_PORT: String(port),
          GATEWAY_METRICS_PORT: '0',
          GATEWAY_SIGNING_KEY_FILE: signingKeyFile,
          API_KEYS_FILE: join(scratch, 'api-keys.json'),
          OAUTH_ISSUER: issuer,
          OAUTH_AUDIENCE: 'atrium',
          OAUTH_JWKS_URL: `${issuer}/jwks`,
          ...Object.fromEntries(registry.map((entry) => [variablesOf(entry).gatewayUrl, subgraphUrls[entry.name] as string])),
        },
        '/ready',
      );
    const gateways = await Promise.all(gatewayPorts.map(gatewayAt));

    const eventsPort = options.events ? await newPort() : undefined;
    const events = eventsPort ? [await run('events', EVENTS_COMMAND, eventsPort, { EVENTS_PORT: String(eventsPort), EVENTS_METRICS_PORT: '0' }, '/ready')] : [];
    const services = Object.fromEntries([identityProvider, ...backends, ...subgraphs, ...gateways, ...events].map((service) => [service.name, service]));
    await answersEndToEnd(`http://127.0.0.1:${gatewayPort}/graphql`, `${issuer}/token`);
    const admin = async (backend: string, path: string, body?: unknown) => {
      const base = backendUrls[backend];
      if (!base) throw new Error(`no backend ${backend}`);
      const response = await fetch(
        `${base}${path}`,
        body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
      );
      if (!response.ok) throw new Error(`${backend} ${path}: HTTP ${response.status}`);
      return response.json();
    };
    return {
      gatewayUrl: `http://127.0.0.1:${gatewayPort}/graphql`,
      gatewayUrls: gatewayPorts.map((port) => `http://127.0.0.1:${port}/graphql`),
      subgraphUrls,
      backendUrls,
      dataDir,
      databaseUrl: (options.env?.DATABASE_URL ?? database?.url) as string,
      services,
      token: (request) => requestDevelopmentToken(`${issuer}/token`, { clientId: 'atrium-processes', ttlSeconds: 3600, ...request }),
      internalToken: (identity, subgraph) => signInternalToken(identity, subgraph, gatewayKey),
      logs: () => [...lines],
      clearLogs: () => void lines.splice(0),
      setFaults: async (backend, faults) => void (await admin(backend, '/_admin/faults', faults)),
      calls: (backend) => admin(backend, '/_admin/stats') as Promise<{ total: number; calls: Record<string, number> }>,
      inFlight: async (backend) => ((await admin(backend, '/_admin/in-flight')) as { inFlight: number }).inFlight,
      resetCalls: async () => void (await Promise.all(Object.keys(backendUrls).map((backend) => admin(backend, '/_admin/reset', {})))),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
