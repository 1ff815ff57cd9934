import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { GATEWAY_SETTINGS } from '../gateway/config';
import { readDataDir, wipeStoredState } from '../platform/data-dir';
import { ConfigError, flagVar, hostVar, isProduction, portVar, readEnv, readSettings, type SettingsOf } from '../platform/env';
import { shutdownGraceVar } from '../platform/run';
import { readPemFiles } from '../platform/tls';
import { repoRoot } from '../platform/paths';
import {
  portOf,
  readSubgraphList,
  standInCommand,
  standInsOf,
  standInUrlAt,
  standInVariables,
  webhookVariablesFor,
  subgraphCommand,
  variablesOf,
  type ServiceCommand,
  type StandInEntry,
  type SubgraphEntry,
} from '../schema/registry';
import { embeddedDatabaseUrl } from '../platform/database';
import { eventsServiceSettings } from '../platform/events/webhooks/settings';
import { embeddedClusterDir, embeddedDatabaseSettings } from '../subgraphs/orders/payments/settings';
import { launch, type ServiceSpec } from './launcher';
import { prettyLogLine } from './pretty-log';

/**
 * `npm start`: runs the whole stack from compiled JavaScript, one process per service, all started at once: the legacy
 * backends, the subgraphs of schema/subgraphs.json and the gateway (stopped in the reverse order). Ports come from the environment (and `.env` when present),
 * by default from the registry's URLs. `npm start -- --fresh` first forgets what the stand-ins and the idempotency
 * records kept under ATRIUM_DATA_DIR, so the stack starts from the seed.
 */
/** What the launcher allows a stopping group beyond the services' own grace period (their exit, log flush). */
const STOP_MARGIN_MS = 5_000;

function main(): void {
  if (existsSync(join(repoRoot, '.env'))) process.loadEnvFile(join(repoRoot, '.env'));
  let config;
  let registry: SubgraphEntry[];
  let ports: Record<string, number>;
  let embedded: SettingsOf<typeof embeddedDatabaseSettings>;
  try {
    embedded = readSettings(embeddedDatabaseSettings);
    registry = readSubgraphList();
    if (process.argv.includes('--fresh')) {
      wipeStoredState(readDataDir());
      rmSync(embeddedClusterDir(readDataDir()), { recursive: true, force: true });
    }
    config = readEnv({
      HOST: hostVar(),
      GATEWAY_PORT: GATEWAY_SETTINGS.port.schema,
      IDP_PORT: portVar(4100),
      EVENTS_PORT: eventsServiceSettings.port.schema,
      MTLS: flagVar(false),
      SHUTDOWN_GRACE_MS: shutdownGraceVar(),
    });
    // Each subgraph's port and its backends' and providers' (ORDERS_PORT, ERP_PORT, PAYMENTS_PORT…), defaulting to the registry's URLs.
    ports = readEnv(
      Object.fromEntries(
        registry.flatMap((entry) => [
          [variablesOf(entry).port, portVar(portOf(entry.routingUrl))],
          ...standInsOf(entry).map((standIn) => [standInVariables(standIn).port, portVar(portOf(standIn.url))]),
        ]),
      ),
    );
  } catch (error) {
    // A broken registry is a configuration error too (RegistryError).
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`atrium: ${error.message}\n`);
    process.exit(2);
  }
  const portOfSubgraph = (entry: SubgraphEntry) => ports[variablesOf(entry).port] as number;
  const portOfStandIn = (standIn: StandInEntry) => ports[standInVariables(standIn).port] as number;
  // Services listening on every interface are reached on loopback.
  const reach = ['0.0.0.0', '::'].includes(config.HOST) ? '127.0.0.1' : config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST;
  const at = (port: number, path = '') => `http://${reach}:${port}${path}`;
  const service = (name: string, command: ServiceCommand, port: number, env: Record<string, string> = {}, readyPath = '/health'): ServiceSpec => ({
    name,
    command: process.execPath,
    args: [join(repoRoot, 'dist', command.script), ...command.args],
    env: { ...process.env, ...env },
    readyUrl: at(port, readyPath),
  });

  // Outside production, a local OAuth 2.0 issuer stands in for the company's (Cognito, Auth0, Keycloak, Entra ID).
  const production = isProduction();
  const embeddedIssuer = !production && !process.env.OAUTH_ISSUER;
  const issuer = { OAUTH_ISSUER: at(config.IDP_PORT), OAUTH_AUDIENCE: process.env.OAUTH_AUDIENCE ?? 'atrium', OAUTH_JWKS_URL: at(config.IDP_PORT, '/jwks') };
  const identityProvider = service('identity-provider', { script: 'legacy/identity-provider/index.js', args: [] }, config.IDP_PORT, issuer, '/jwks');

  // Without DATABASE_URL, the payment workflows keep their state in an embedded PostgreSQL (data under ATRIUM_DATA_DIR).
  const embeddedDatabase = !process.env.DATABASE_URL;
  const database = service('database', { script: 'scripts/embedded-database.js', args: [] }, embedded.healthPort);
  const databaseUrl = process.env.DATABASE_URL ?? embeddedDatabaseUrl(embedded.port);
  const backends = [
    ...(embeddedIssuer ? [identityProvider] : []),
    ...(embeddedDatabase ? [database] : []),
    ...registry.flatMap((entry) =>
      standInsOf(entry).map((standIn) =>
        service(standIn.name, standInCommand(standIn), portOfStandIn(standIn), {
          [standInVariables(standIn).port]: String(portOfStandIn(standIn)),
          // A stand-in that posts webhooks signs them for the subgraph that calls it, at /webhooks/<name>.
          ...webhookVariablesFor(standIn, at(portOfSubgraph(entry))),
        }),
      ),
    ),
  ];
  // Subgraphs trust only tokens signed by the gateway, whose public keys it serves.
  const trust: Record<string, string> = { GATEWAY_JWKS_URL: process.env.GATEWAY_JWKS_URL ?? at(config.GATEWAY_PORT, '/.well-known/jwks.json') };
  // MTLS=on: subgraphs serve HTTPS and accept only the gateway's client certificate (`npm run dev-certs` makes them).
  const certs = process.env.MTLS_CERT_DIR ?? join(repoRoot, '.atrium', 'certs');
  const subgraphScheme = config.MTLS ? 'https' : 'http';
  const mtls = (who: 'gateway' | 'subgraph'): Record<string, string> =>
    config.MTLS ? { MTLS: 'on', MTLS_CA: join(certs, 'ca.crt'), MTLS_CERT: join(certs, `${who}.crt`), MTLS_KEY: join(certs, `${who}.key`) } : {};
  const subgraphAt = (port: number, path = '') => at(port, path).replace(/^http:/, `${subgraphScheme}:`);
  let readyTls: ServiceSpec['readyTls'];
  if (config.MTLS) {
    try {
      readyTls = readPemFiles({
        ca: { variable: 'MTLS_CERT_DIR', path: join(certs, 'ca.crt') },
        cert: { variable: 'MTLS_CERT_DIR', path: join(certs, 'gateway.crt') },
        key: { variable: 'MTLS_CERT_DIR', path: join(certs, 'gateway.key') },
      });
    } catch (error) {
      process.stderr.write(`atrium: ${(error as Error).message} (run npm run dev-certs first)\n`);
      process.exit(2);
    }
  }
  const subgraph = (name: string, command: ServiceCommand, port: number, env: Record<string, string>): ServiceSpec => ({
    ...service(name, command, port, { ...trust, ...mtls('subgraph'), ...env }),
    readyUrl: subgraphAt(port, '/health'),
    readyTls,
  });
  // Each subgraph finds its backend and providers at <NAME>_URL (CRM_URL, PAYMENTS_URL…), at the path the registry gives.
  const subgraphs = registry.map((entry) =>
    subgraph(entry.name, subgraphCommand(entry), portOfSubgraph(entry), {
      [variablesOf(entry).port]: String(portOfSubgraph(entry)),
      DATABASE_URL: databaseUrl,
      ...Object.fromEntries(
        standInsOf(entry).map((standIn) => {
          const variable = standInVariables(standIn).url;
          return [variable, process.env[variable] ?? standInUrlAt(standIn, at(portOfStandIn(standIn)))];
        }),
      ),
    }),
  );
  // The event log's sequencer and the partner webhooks; it starts with the subgraphs, on the same database.
  const events = service('events', { script: 'platform/events/service/index.js', args: [] }, config.EVENTS_PORT, { DATABASE_URL: databaseUrl }, '/ready');
  const gateway = service(
    'gateway',
    { script: 'gateway/index.js', args: [] },
    config.GATEWAY_PORT,
    {
      // The explorer pre-fills a development token from the embedded issuer (never in production).
      ...(embeddedIssuer ? { ...issuer, EXPLORER_TOKEN_URL: at(config.IDP_PORT, '/token') } : {}),
      ...mtls('gateway'),
      // Subscriptions follow the event log, and resume from it.
      DATABASE_URL: databaseUrl,
      ...Object.fromEntries(registry.map((entry) => [variablesOf(entry).gatewayUrl, subgraphAt(portOfSubgraph(entry), '/graphql')])),
    },
    '/ready',
  );

  const write = (line: string) => process.stdout.write(`${line}\n`);
  // Services always log JSON; a person at a terminal reads it pretty-printed, anything else gets the JSON as is.
  const terminal = process.stdout.isTTY === true;
  const format = terminal ? prettyLogLine() : undefined;
  // Every service gets the same SHUTDOWN_GRACE_MS; a group is killed only a while after its own deadline.
  const stopGraceMs = config.SHUTDOWN_GRACE_MS + STOP_MARGIN_MS;
  // The events service after the subgraphs: DBOS Transact prepares its system database once, and two processes
  // preparing the same one at once can fail ("tuple concurrently updated").
  const stack = launch([backends, subgraphs, [events], [gateway]], { write, readyTimeoutMs: 60_000, color: terminal, format, stopGraceMs });
  void stack.ready.then(() => write(`\n  Atrium is ready: ${at(config.GATEWAY_PORT, '/graphql')}\n`));
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      write(`received ${signal} again, killing every service`);
      stack.kill();
      return;
    }
    signalled = true;
    write(`received ${signal}, stopping the gateway, then the subgraphs, then the backends (again to kill them now)`);
    void stack.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  void stack.exited.then((code) => process.exit(code));
}

main();
