import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, flagVar, hostVar, isProduction, portVar, readEnv } from '../platform/env';
import { readPemFiles } from '../platform/tls';
import { repoRoot } from '../platform/paths';
import { launch, type ServiceSpec } from './launcher';
import { prettyLogLine } from './pretty-log';

/**
 * `npm start`: runs the whole stack from compiled JavaScript, one process per service: the four legacy backends,
 * then the four subgraphs, then the gateway. Ports come from the environment (and `.env` when present).
 */
function main(): void {
  if (existsSync(join(repoRoot, '.env'))) process.loadEnvFile(join(repoRoot, '.env'));
  let config;
  try {
    config = readEnv({
      HOST: hostVar(),
      GATEWAY_PORT: portVar(4000),
      IDP_PORT: portVar(4100),
      CUSTOMERS_PORT: portVar(4001),
      ORDERS_PORT: portVar(4002),
      PREFERENCES_PORT: portVar(4003),
      SUPPORT_TICKETS_PORT: portVar(4004),
      CRM_PORT: portVar(4101),
      PREFERENCE_SERVICE_PORT: portVar(4102),
      ERP_PORT: portVar(4103),
      HELPDESK_PORT: portVar(4104),
      MTLS: flagVar(false),
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`atrium: ${error.message}\n`);
    process.exit(2);
  }
  // Services listening on every interface are reached on loopback.
  const reach = ['0.0.0.0', '::'].includes(config.HOST) ? '127.0.0.1' : config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST;
  const at = (port: number, path = '') => `http://${reach}:${port}${path}`;
  const service = (name: string, entry: string, port: number, env: Record<string, string> = {}, readyPath = '/health'): ServiceSpec => ({
    name,
    command: process.execPath,
    args: [join(repoRoot, 'dist', entry)],
    env: { ...process.env, ...env },
    readyUrl: at(port, readyPath),
  });

  // Outside production, a local OAuth 2.0 issuer stands in for the company's (Cognito, Auth0, Keycloak, Entra ID).
  const production = isProduction();
  const embeddedIssuer = !production && !process.env.OAUTH_ISSUER;
  const issuer = { OAUTH_ISSUER: at(config.IDP_PORT), OAUTH_AUDIENCE: process.env.OAUTH_AUDIENCE ?? 'atrium', OAUTH_JWKS_URL: at(config.IDP_PORT, '/jwks') };
  const identityProvider = service('identity-provider', 'legacy/identity-provider/index.js', config.IDP_PORT, issuer, '/jwks');

  const backends = [
    ...(embeddedIssuer ? [identityProvider] : []),
    service('crm', 'legacy/crm/index.js', config.CRM_PORT),
    service('preference-service', 'legacy/preference-service/index.js', config.PREFERENCE_SERVICE_PORT),
    service('erp', 'legacy/erp/index.js', config.ERP_PORT),
    service('helpdesk', 'legacy/helpdesk/index.js', config.HELPDESK_PORT),
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
  const subgraph = (name: string, entry: string, port: number, env: Record<string, string>): ServiceSpec => ({
    ...service(name, entry, port, { ...trust, ...mtls('subgraph'), ...env }),
    readyUrl: subgraphAt(port, '/health'),
    readyTls,
  });
  const subgraphs = [
    subgraph('customers', 'subgraphs/customers/index.js', config.CUSTOMERS_PORT, { CRM_URL: process.env.CRM_URL ?? at(config.CRM_PORT) }),
    subgraph('orders', 'subgraphs/orders/index.js', config.ORDERS_PORT, { ERP_URL: process.env.ERP_URL ?? at(config.ERP_PORT, '/erp') }),
    subgraph('preferences', 'subgraphs/preferences/index.js', config.PREFERENCES_PORT, {
      PREFERENCE_SERVICE_URL: process.env.PREFERENCE_SERVICE_URL ?? at(config.PREFERENCE_SERVICE_PORT),
    }),
    subgraph('support-tickets', 'subgraphs/support-tickets/index.js', config.SUPPORT_TICKETS_PORT, {
      HELPDESK_URL: process.env.HELPDESK_URL ?? at(config.HELPDESK_PORT, '/helpdesk'),
    }),
  ];
  const gateway = service(
    'gateway',
    'gateway/index.js',
    config.GATEWAY_PORT,
    {
      // The explorer pre-fills a development token from the embedded issuer (never in production).
      ...(embeddedIssuer ? { ...issuer, EXPLORER_TOKEN_URL: at(config.IDP_PORT, '/token') } : {}),
      ...mtls('gateway'),
      SUBGRAPH_CUSTOMERS_URL: subgraphAt(config.CUSTOMERS_PORT, '/graphql'),
      SUBGRAPH_ORDERS_URL: subgraphAt(config.ORDERS_PORT, '/graphql'),
      SUBGRAPH_PREFERENCES_URL: subgraphAt(config.PREFERENCES_PORT, '/graphql'),
      SUBGRAPH_SUPPORT_TICKETS_URL: subgraphAt(config.SUPPORT_TICKETS_PORT, '/graphql'),
    },
    '/ready',
  );

  const write = (line: string) => process.stdout.write(`${line}\n`);
  // Services always log JSON; a person at a terminal reads it pretty-printed, anything else gets the JSON as is.
  const terminal = process.stdout.isTTY === true;
  const format = terminal ? prettyLogLine() : undefined;
  const stack = launch([backends, subgraphs, [gateway]], { write, readyTimeoutMs: 60_000, color: terminal, format });
  void stack.ready.then(() => write(`\n  Atrium is ready: ${at(config.GATEWAY_PORT, '/graphql')}\n`));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      write(`received ${signal}, stopping every service`);
      void stack.stop();
    });
  }
  void stack.exited.then((code) => process.exit(code));
}

main();
