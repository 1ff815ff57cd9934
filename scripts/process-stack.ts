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
import { readSettings } from '../platform/env';
import { repoRoot } from '../platform/paths';
import { embeddedDatabaseSettings } from '../subgraphs/orders/payments/settings';
import { HAPROXY_POLICY, renderHaproxyTopology, type BalancedService } from './replicated/haproxy-topology';
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

/** One server HAProxy balances, as its statistics report it. */
export interface BalancedServer {
  /** `gateway`, `customers`… (the backend), and `-live` for its fail-open twin. */
  backend: string;
  /** The replica's service name: `gateway`, `gateway-2`, `orders-2`… */
  server: string;
  /** `UP`, `DOWN`, `UP 1/2` (going down), `DOWN 1/2` (coming up), `MAINT`, `no check`. */
  status: string;
}

/** HAProxy in front of the replicas: its process, and what it thinks of each replica. */
export interface LoadBalancer extends ServiceProcess {
  /** `http://127.0.0.1:<port>/stats`: HAProxy's page; `/metrics` beside it for Prometheus. */
  statsUrl: string;
  servers(): Promise<BalancedServer[]>;
  /** Resolves once every server of every backend (fail-open ones aside) is UP. */
  allUp(timeoutMs?: number): Promise<void>;
}

/** The whole stack as real processes on free loopback ports, each service with the production environment. */
export interface ProcessStack {
  /** The gateway's `/graphql`: the load balancer's, when there is one. */
  gatewayUrl: string;
  /** Every gateway replica's own URL (the first is `gatewayUrl` when no load balancer is in front). */
  gatewayUrls: string[];
  /** By subgraph name: `http://127.0.0.1:<port>/graphql`, the load balancer's when there is one (else the only replica's). */
  subgraphUrls: Record<string, string>;
  /** HAProxy, when the stack runs one. */
  loadBalancer?: LoadBalancer;
  /** By backend name (`crm`, `erp`…): the base URL, where `/_admin/*` is served. */
  backendUrls: Record<string, string>;
  /** Where the services keep what must survive a restart (`ATRIUM_DATA_DIR`). */
  dataDir: string;
  /** The payment workflows' database (`DATABASE_URL`). */
  databaseUrl: string;
  /**
   * Every process by service name: `gateway`, each subgraph, each backend, `identity-provider` (and `events` when
   * asked); further replicas as `gateway-2`, `orders-2`…
   */
  services: Record<string, ServiceProcess>;
  /** The stack's issuer's token endpoint (client-credentials grant). */
  tokenUrl: string;
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
  /** Replicas of each subgraph and of the events service: `orders`, `orders-2`… (default 1). */
  replicas?: number;
  /**
   * HAProxy with deploy/haproxy/haproxy.cfg in front of the gateways and of each subgraph's replicas: every address the
   * services are given of each other (subgraph URLs, the gateway's JWKS, webhook targets) is then the balancer's.
   */
  loadBalancer?: boolean;
  /** Where each service listens, by role (see PortPlan); a free loopback port each when unset. */
  ports?: PortPlan;
  /**
   * Each service in a process group of its own, so a terminal's Ctrl-C reaches only the stack's owner, which stops the
   * services in order (`start:replicated`). Otherwise Ctrl-C reaches every service too, and each drains on its own.
   */
  ownProcessGroups?: boolean;
  /** Each log line as it is written; the stack then keeps none (`logs()` is empty). */
  onLog?: (line: LogLine) => void;
}

/**
 * A port for a role: a service or replica name (`gateway`, `gateway-2`, `orders-2`, `crm`, `identity-provider`,
 * `events`), or `balancer:<service>` and `balancer:stats` for HAProxy's listeners.
 */
export type PortPlan = (role: string) => Promise<number>;

/** `orders`, then `orders-2`, `orders-3`…: the first replica keeps the service's own name. */
export const replicaName = (service: string, index: number): string => (index === 0 ? service : `${service}-${index + 1}`);

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
    nodeCommand(EVENTS_COMMAND),
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
/** `node dist/<script> <args…>`. */
const nodeCommand = (command: ServiceCommand): string[] => [process.execPath, dist(command.script), ...command.args];
const READY_TIMEOUT_MS = 60_000;
/** The longest deploy/haproxy/haproxy.cfg takes to take a replica whose /ready fails out: a check, then two 250 ms apart. */
export const BALANCER_DETECTION_MS = 1_000;

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

/** Every process the stacks of this process started that still runs: none may outlive an owner that exits. */
const living = new Set<ChildProcess>();
process.once('exit', () => living.forEach((child) => child.kill('SIGKILL')));

/** Spawns `argv` and keeps it restartable; its output goes to `sink`, line by line. */
function serviceProcess(
  name: string,
  argv: string[],
  base: string,
  readyUrl: string,
  env: NodeJS.ProcessEnv,
  sink: (line: LogLine) => void,
  ownGroup = false,
): ServiceProcess {
  let child: ChildProcess | undefined;
  let exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> = Promise.resolve({ code: null, signal: null });
  let recent = '';

  const start = async (extra: Record<string, string> = {}) => {
    const [program, ...args] = argv as [string, ...string[]];
    const spawned = spawn(program, args, { env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'], detached: ownGroup });
    child = spawned;
    living.add(spawned);
    spawned.once('exit', () => living.delete(spawned));
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

/** HAProxy's statistics as CSV: `# pxname,svname,…,status,…`, one line per frontend, server and backend. */
async function readServers(statsUrl: string): Promise<BalancedServer[]> {
  const text = await (await fetch(`${statsUrl};csv`, { signal: AbortSignal.timeout(2_000) })).text();
  const [header = '', ...rows] = text.split('\n').filter((line) => line !== '');
  const columns = header.replace(/^# /, '').split(',');
  const at = (name: string) => columns.indexOf(name);
  return rows
    .map((row) => row.split(','))
    .filter((cells) => !['FRONTEND', 'BACKEND'].includes(cells[at('svname')] ?? ''))
    .map((cells) => ({ backend: cells[at('pxname')] ?? '', server: cells[at('svname')] ?? '', status: cells[at('status')] ?? '' }));
}

/** The HAProxy binary: `HAPROXY_BIN`, or Debian's. */
export const haproxyBinary = (): string => process.env.HAPROXY_BIN ?? '/usr/sbin/haproxy';

/**
 * Starts the built stack (`npm run build` first) as `npm start` would, but each service on a free loopback port and with
 * `NODE_ENV=production`: the legacy backends, the subgraphs of schema/subgraphs.json and the gateway — each as many
 * times as asked, behind HAProxy when asked. The issuer is the one exception: it stands in for the company's identity
 * provider and never runs in production, so it runs as in development.
 */
export async function startProcessStack(options: ProcessStackOptions = {}): Promise<ProcessStack> {
  const scratch = mkdtempSync(join(tmpdir(), 'atrium-processes-'));
  const dataDir = options.dataDir ?? join(scratch, 'data');
  const lines: LogLine[] = [];
  const sink = options.onLog ?? ((line: LogLine) => void lines.push(line));
  // Processes by start phase: a phase stops at once, after the phases started after it (gateways before subgraphs…).
  const phases: ServiceProcess[][] = [[]];
  const nextPhase = () => void phases.push([]);
  // The payment workflows' state: a database of its own, unless the caller gives one (to start a stack again on it).
  const database = options.env?.DATABASE_URL ? undefined : await throwawayDatabase();
  const stopAll = async () => {
    for (const phase of [...phases].reverse()) await Promise.all(phase.map((service) => service.stop()));
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
    // Replicas resume only their own unfinished workflows.
    WORKFLOW_EXECUTOR_ID: name,
    // Behind HAProxy, a signalled replica serves on until the balancer's checks (2 × 500 ms, then 250 ms) take it out.
    ...(options.loadBalancer ? { SHUTDOWN_DELAY_MS: String(BALANCER_DETECTION_MS * 2) } : {}),
    ...options.env,
    ...own,
    ...options.serviceEnv?.[name],
  });
  const run = async (name: string, argv: string[], port: number, own: Record<string, string>, readyPath: string, env?: NodeJS.ProcessEnv) => {
    const base = `http://127.0.0.1:${port}`;
    const service = serviceProcess(name, argv, base, `${base}${readyPath}`, env ?? baseEnv(name, own), sink, options.ownProcessGroups) as ServiceProcess & {
      start(): Promise<void>;
    };
    phases.at(-1)?.push(service);
    await service.start();
    return service;
  };

  try {
    const registry = readSubgraphList();
    // Ports are chosen before their services bind them: none may be handed out twice.
    const chosen = new Set<number>();
    const newPort =
      options.ports ??
      (async (): Promise<number> => {
        let port = await freePort();
        while (chosen.has(port)) port = await freePort();
        chosen.add(port);
        return port;
      });
    const replicasOf = async (service: string, count: number) =>
      Promise.all(Array.from({ length: count }, async (_, index) => ({ name: replicaName(service, index), port: await newPort(replicaName(service, index)) })));
    const balanced = options.loadBalancer === true;
    const balancerPort = async (service: string) => (balanced ? newPort(`balancer:${service}`) : undefined);

    const gatewayReplicas = await replicasOf('gateway', options.gateways ?? 1);
    const gatewayFront = (await balancerPort('gateway')) ?? (gatewayReplicas[0]?.port as number);
    const signingKeyFile = join(scratch, 'gateway-signing-key.pem');
    writeFileSync(signingKeyFile, await exportPKCS8((await generateKeyPair('ES256', { extractable: true })).privateKey), { mode: 0o600 });
    const gatewayKey = await loadSigningKey(signingKeyFile);

    const idpPort = await newPort('identity-provider');
    const issuer = `http://127.0.0.1:${idpPort}`;
    const identityProvider = await run('identity-provider', nodeCommand({ script: 'legacy/identity-provider/index.js', args: [] }), idpPort, {}, '/jwks', {
      PATH: process.env.PATH,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      IDP_PORT: String(idpPort),
      OAUTH_AUDIENCE: 'atrium',
    });

    const subgraphReplicas = Object.fromEntries(
      await Promise.all(registry.map(async (entry) => [entry.name, await replicasOf(entry.name, options.replicas ?? 1)] as const)),
    );
    /** Where the others reach each subgraph: its load balancer, or its only replica. */
    const subgraphFront: Record<string, number> = {};
    for (const entry of registry) subgraphFront[entry.name] = (await balancerPort(entry.name)) ?? (subgraphReplicas[entry.name]?.[0]?.port as number);

    const loadBalancer = balanced
      ? await startLoadBalancer(
          [
            { name: 'gateway', port: gatewayFront, replicas: gatewayReplicas },
            ...registry.map((entry) => ({
              name: entry.name,
              port: subgraphFront[entry.name] as number,
              replicas: subgraphReplicas[entry.name] ?? [],
            })),
          ],
          await newPort('balancer:stats'),
          scratch,
          (name, argv, port, env) => run(name, argv, port, {}, '/stats', env),
        )
      : undefined;

    nextPhase();
    const backendUrls: Record<string, string> = {};
    const backends = await Promise.all(
      registry.flatMap((entry) =>
        standInsOf(entry).map(async (standIn) => {
          const port = await newPort(standIn.name);
          backendUrls[standIn.name] = `http://127.0.0.1:${port}`;
          // A stand-in that posts webhooks signs them for the subgraph that calls it, at /webhooks/<name>.
          const webhook = webhookVariablesFor(standIn, `http://127.0.0.1:${subgraphFront[entry.name]}`);
          return run(standIn.name, nodeCommand(standInCommand(standIn)), port, { [standInVariables(standIn).port]: String(port), ...webhook }, '/health');
        }),
      ),
    );

    nextPhase();
    const subgraphUrls: Record<string, string> = {};
    const subgraphs = await Promise.all(
      registry.flatMap((entry) => {
        subgraphUrls[entry.name] = `http://127.0.0.1:${subgraphFront[entry.name]}/graphql`;
        const variables = variablesOf(entry);
        return (subgraphReplicas[entry.name] ?? []).map((replica) =>
          run(
            replica.name,
            nodeCommand(subgraphCommand(entry)),
            replica.port,
            {
              [variables.port]: String(replica.port),
              [variables.metricsPort]: '0',
              ...Object.fromEntries(
                standInsOf(entry).map((standIn) => [standInVariables(standIn).url, standInUrlAt(standIn, backendUrls[standIn.name] as string)]),
              ),
              GATEWAY_JWKS_URL: `http://127.0.0.1:${gatewayFront}/.well-known/jwks.json`,
            },
            '/health',
          ),
        );
      }),
    );

    nextPhase();
    const gateways = await Promise.all(
      gatewayReplicas.map((replica) =>
        run(
          replica.name,
          nodeCommand({ script: 'gateway/index.js', args: [] }),
          replica.port,
          {
            GATEWAY_PORT: String(replica.port),
            GATEWAY_METRICS_PORT: '0',
            GATEWAY_SIGNING_KEY_FILE: signingKeyFile,
            API_KEYS_FILE: join(scratch, 'api-keys.json'),
            OAUTH_ISSUER: issuer,
            OAUTH_AUDIENCE: 'atrium',
            OAUTH_JWKS_URL: `${issuer}/jwks`,
            ...Object.fromEntries(registry.map((entry) => [variablesOf(entry).gatewayUrl, subgraphUrls[entry.name] as string])),
          },
          '/ready',
        ),
      ),
    );

    nextPhase();
    const eventsReplicas = options.events ? await replicasOf('events', options.replicas ?? 1) : [];
    const events = await Promise.all(
      eventsReplicas.map((replica) =>
        run(replica.name, nodeCommand(EVENTS_COMMAND), replica.port, { EVENTS_PORT: String(replica.port), EVENTS_METRICS_PORT: '0' }, '/ready'),
      ),
    );
    const services = Object.fromEntries(
      [identityProvider, ...backends, ...subgraphs, ...gateways, ...events, ...(loadBalancer ? [loadBalancer] : [])].map((service) => [service.name, service]),
    );
    const gatewayUrl = `http://127.0.0.1:${gatewayFront}/graphql`;
    await loadBalancer?.allUp();
    await answersEndToEnd(gatewayUrl, `${issuer}/token`);
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
      gatewayUrl,
      gatewayUrls: gatewayReplicas.map((replica) => `http://127.0.0.1:${replica.port}/graphql`),
      subgraphUrls,
      loadBalancer,
      backendUrls,
      dataDir,
      databaseUrl: (options.env?.DATABASE_URL ?? database?.url) as string,
      services,
      tokenUrl: `${issuer}/token`,
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

/**
 * HAProxy on deploy/haproxy/haproxy.cfg and a topology rendered for `services`, its statistics on `statsPort`;
 * `run` starts it as one of the stack's processes.
 */
async function startLoadBalancer(
  services: BalancedService[],
  statsPort: number,
  scratch: string,
  run: (name: string, argv: string[], port: number, env: NodeJS.ProcessEnv) => Promise<ServiceProcess>,
): Promise<LoadBalancer> {
  const topology = join(scratch, 'haproxy-topology.cfg');
  writeFileSync(topology, renderHaproxyTopology(services));
  const process_ = await run('load-balancer', [haproxyBinary(), '-f', HAPROXY_POLICY, '-f', topology], statsPort, {
    PATH: process.env.PATH,
    HAPROXY_STATS_ADDRESS: `127.0.0.1:${statsPort}`,
  });
  const statsUrl = `http://127.0.0.1:${statsPort}/stats`;
  const servers = () => readServers(statsUrl);
  return Object.assign(process_, {
    statsUrl,
    servers,
    async allUp(timeoutMs = READY_TIMEOUT_MS) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const states = (await servers()).filter((server) => !server.backend.endsWith('-live'));
        if (states.every((server) => server.status === 'UP')) return;
        if (Date.now() > deadline) throw new Error(`HAProxy never saw every replica up: ${states.map((s) => `${s.server} ${s.status}`).join(', ')}`);
        await sleep(100);
      }
    },
  });
}

/**
 * The embedded PostgreSQL `npm start` runs when DATABASE_URL is unset (data under `dataDir`), as a process of its own
 * on the embedded database's ports; resolves once it is up.
 */
export async function startEmbeddedDatabase(dataDir: string, sink: (line: LogLine) => void): Promise<ServiceProcess> {
  const { port, healthPort } = readSettings(embeddedDatabaseSettings);
  const base = `http://127.0.0.1:${healthPort}`;
  const env = {
    PATH: process.env.PATH,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    ATRIUM_DATA_DIR: dataDir,
    EMBEDDED_DATABASE_PORT: String(port),
    EMBEDDED_DATABASE_HEALTH_PORT: String(healthPort),
  };
  const service = serviceProcess(
    'database',
    nodeCommand({ script: 'scripts/embedded-database.js', args: [] }),
    base,
    `${base}/`,
    env,
    sink,
  ) as ServiceProcess & {
    start(): Promise<void>;
  };
  await service.start();
  return service;
}
