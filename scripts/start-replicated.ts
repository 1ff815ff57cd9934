import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GATEWAY_SETTINGS } from '../gateway/config';
import { embeddedDatabaseUrl } from '../platform/database';
import { readDataDir } from '../platform/data-dir';
import { ConfigError, intVar, portVar, readEnv, readSettings } from '../platform/env';
import { repoRoot } from '../platform/paths';
import { portOf, readSubgraphList, standInsOf, standInVariables, variablesOf } from '../schema/registry';
import { embeddedDatabaseSettings } from '../subgraphs/orders/payments/settings';
import { finish, parseCommandArgs, UsageError } from './cli';
import { prettyLogLine } from './pretty-log';
import { redisAnswers } from './redis-probe';
import { haproxyBinary, startEmbeddedDatabase, startProcessStack, type LogLine, type PortPlan, type ServiceProcess } from './process-stack';

const USAGE = `usage: npm run start:replicated -- [--gateways N] [--replicas N]
  --gateways N   gateway replicas behind the load balancer (default 2)
  --replicas N   replicas of each subgraph and of the events service, each subgraph's behind the balancer (default 2)`;

/** Counts a laptop can run: every replica is a Node.js process of about 100 MiB. */
const MAX_REPLICAS = 8;

function count(value: string | undefined, option: string): number {
  if (value === undefined) return 2;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > MAX_REPLICAS)
    throw new UsageError(`${option} must be a whole number from 1 to ${MAX_REPLICAS}, not "${value}"`);
  return parsed;
}

/**
 * The load balancer takes the ports `npm start` gives services (GATEWAY_PORT, each subgraph's, the stand-ins'),
 * so every URL a client or a backend knows stays the same; replicas take ports one after another from
 * REPLICA_PORTS_FROM.
 */
function portPlan(): PortPlan {
  const registry = readSubgraphList();
  const settings = readEnv({
    GATEWAY_PORT: GATEWAY_SETTINGS.port.schema,
    IDP_PORT: portVar(4100),
    HAPROXY_STATS_PORT: portVar(8404),
    REPLICA_PORTS_FROM: intVar(4200, 1024, 65_000),
  });
  // The variables npm start listens by (CUSTOMERS_PORT, CRM_PORT…), with the registry's ports by default.
  const servicePorts = readEnv(
    Object.fromEntries([
      ...registry.map((entry) => [variablesOf(entry).port, portVar(portOf(entry.routingUrl))] as const),
      ...registry.flatMap(standInsOf).map((standIn) => [standInVariables(standIn).port, portVar(portOf(standIn.url))] as const),
    ]),
  );
  const fixed = new Map<string, number>([
    ['balancer:gateway', settings.GATEWAY_PORT],
    ['balancer:stats', settings.HAPROXY_STATS_PORT],
    ['identity-provider', settings.IDP_PORT],
    ...registry.map((entry) => [`balancer:${entry.name}`, servicePorts[variablesOf(entry).port] as number] as const),
    ...registry.flatMap(standInsOf).map((standIn) => [standIn.name, servicePorts[standInVariables(standIn).port] as number] as const),
  ]);
  let next = settings.REPLICA_PORTS_FROM;
  return async (role) => fixed.get(role) ?? next++;
}

async function main(): Promise<void> {
  if (existsSync(join(repoRoot, '.env'))) process.loadEnvFile(join(repoRoot, '.env'));
  const { values } = parseCommandArgs(process.argv.slice(2), { gateways: { type: 'string' }, replicas: { type: 'string' } });
  const gateways = count(values.gateways, '--gateways');
  const replicas = count(values.replicas, '--replicas');
  const ports = portPlan();
  if (!existsSync(haproxyBinary()))
    throw new ConfigError(`no HAProxy at ${haproxyBinary()}: install Debian's haproxy package (apt-get install haproxy) or set HAPROXY_BIN`);
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (!(await redisAnswers(redisUrl, 2_000)))
    throw new ConfigError(`Redis does not answer at ${redisUrl}: replicas share limits, caches and records through it; start one or set REDIS_URL`);

  const terminal = process.stdout.isTTY === true;
  const pretty = terminal ? prettyLogLine() : (line: string) => line;
  const write = (line: string) => process.stdout.write(`${line}\n`);
  const onLog = (line: LogLine) => write(`${line.service.padEnd(20)} │ ${pretty(line.text)}`);
  const dataDir = readDataDir();
  // Without DATABASE_URL, the workflows and the event log live in the embedded PostgreSQL npm start uses.
  let database: ServiceProcess | undefined;
  if (!process.env.DATABASE_URL) database = await startEmbeddedDatabase(dataDir, onLog);
  const databaseUrl = process.env.DATABASE_URL ?? embeddedDatabaseUrl(readSettings(embeddedDatabaseSettings).port);

  write(`starting ${gateways} gateways and ${replicas} replicas of each subgraph behind HAProxy…`);
  const stack = await startProcessStack({
    gateways,
    replicas,
    loadBalancer: true,
    events: true,
    ownProcessGroups: true,
    ports,
    dataDir,
    onLog,
    // What npm start runs by default: the ERP's change feed read, orders and tickets moving on their own.
    env: { REDIS_URL: redisUrl, DATABASE_URL: databaseUrl, ERP_FEED_POLL_MS: '1000', ERP_FULFILMENT_PACE: '2m', HELPDESK_ACTIVITY_PACE: '1m' },
  }).catch(async (error: unknown) => {
    await database?.stop();
    throw error;
  });
  write(
    `\n  Atrium is ready: ${stack.gatewayUrl}\n  HAProxy's view of the replicas: ${stack.loadBalancer?.statsUrl}\n  A token (every service runs in production mode, so the explorer fills none in):\n    curl -s ${stack.tokenUrl} -d grant_type=client_credentials -d sub=cust-1 -d role=customer -d scope=customers:read\n`,
  );
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    write(`received ${signal}, stopping the gateways, then the subgraphs, then the backends`);
    void stack
      .stop()
      .then(() => database?.stop())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          write(`stopping failed: ${String(error)}`);
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) return finish({ stdout: '', stderr: `start:replicated: ${error.message}\n${USAGE}\n`, code: 2 });
  if (error instanceof ConfigError) return finish({ stdout: '', stderr: `start:replicated: ${error.message}\n`, code: 2 });
  process.stderr.write(`start:replicated: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
