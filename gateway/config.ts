import { join } from 'node:path';
import { z } from 'zod';
import {
  ConfigError,
  flagVar,
  hostVar,
  intVar,
  isProduction,
  listVar,
  optionalTextVar,
  optionalUrlVar,
  portVar,
  readEnv,
  readSettings,
  redisUrlVar,
  setting,
  urlVar,
  type SettingsOf,
} from '../platform/env';
import { databaseUrlSetting } from '../platform/database';
import { eventSettings } from '../platform/events/settings';
import { SUBGRAPH_LIMITS } from '../platform/operation-cost';
import { bodyTimeoutVar } from '../platform/listener-guards';
import { DEFAULT_MAX_INFLIGHT, maxInFlightVar } from '../platform/overload';
import { repoRoot } from '../platform/paths';
import { mtlsFiles, mtlsVars, type TlsFiles } from '../platform/tls';
import type { ExplorerSettings } from './explorer';
import type { OAuthSettings } from './auth/oauth';
import { requestDeadlineSetting } from '../platform/request-deadline';

const optional = optionalTextVar();
/** A fetch's timeout: `SUBGRAPH_TIMEOUT_MS`, and `SUBGRAPH_<NAME>_TIMEOUT_MS` for one subgraph. */
const subgraphTimeoutVar = () => intVar(10_000, 1, 300_000);

/**
 * Every gateway setting, declared once: the variable it is read from, how it is parsed, its default and its message.
 * The config's type and `readGatewayConfig` follow from here.
 */
export const GATEWAY_SETTINGS = {
  host: setting('HOST', hostVar()),
  port: setting('GATEWAY_PORT', portVar(4000)),
  /** Where `/metrics` is served, apart from the public listener. */
  metricsPort: setting('GATEWAY_METRICS_PORT', portVar(9400)),
  supergraphPath: setting(
    'SUPERGRAPH_PATH',
    z
      .string()
      .min(1, 'must not be empty')
      .default(join(repoRoot, 'schema', 'supergraph.graphql')),
  ),
  /** Per subgraph fetch, unless `subgraphTimeouts` names the subgraph. */
  subgraphTimeoutMs: setting('SUBGRAPH_TIMEOUT_MS', subgraphTimeoutVar()),
  requestDeadlineMs: requestDeadlineSetting,
  /** Keep-alive connections per subgraph. */
  subgraphConnections: setting('SUBGRAPH_CONNECTIONS', intVar(64, 1, 4_096)),
  maxBodyBytes: setting('MAX_BODY_BYTES', intVar(100_000, 1_000, 10_000_000)),
  /** GraphQL requests processed at once; more are refused with 503 and Retry-After (see platform/overload.ts). */
  maxInFlight: setting('MAX_INFLIGHT', maxInFlightVar(DEFAULT_MAX_INFLIGHT.gateway)),
  /** How long headers, then a body, may take to arrive. */
  bodyTimeoutMs: setting('BODY_TIMEOUT_MS', bodyTimeoutVar()),
  /** Open connections per client address (a proxy in front counts as one address). */
  maxConnectionsPerClient: setting('MAX_CONNECTIONS_PER_CLIENT', intVar(256, 1, 100_000)),
  /** Used only when issuer, audience and JWKS URL are all set; with none, bearer tokens are refused (API keys only). */
  oauth: {
    issuer: setting('OAUTH_ISSUER', optional),
    audience: setting('OAUTH_AUDIENCE', optional),
    jwksUrl: setting('OAUTH_JWKS_URL', optionalUrlVar()),
    algorithms: setting(
      'OAUTH_ALGORITHMS',
      listVar(['RS256']).refine((list) => list.length > 0 && list.every((alg) => /^(RS|PS|ES)(256|384|512)$|^EdDSA$/.test(alg)), {
        message: 'must list asymmetric JWS algorithms such as RS256,ES256 (none and HMAC are refused)',
      }),
    ),
    audienceClaim: setting('OAUTH_AUDIENCE_CLAIM', z.string().min(1).default('aud')),
    tokenUse: setting('OAUTH_TOKEN_USE', optional),
    subjectClaim: setting('OAUTH_SUBJECT_CLAIM', z.string().min(1).default('sub')),
    rolesClaim: setting('OAUTH_ROLES_CLAIM', z.string().min(1).default('roles')),
    scopesClaim: setting('OAUTH_SCOPES_CLAIM', z.string().min(1).default('scope')),
    scopePrefix: setting('OAUTH_SCOPE_PREFIX', z.string().default('')),
    clockToleranceSeconds: setting('OAUTH_CLOCK_TOLERANCE_S', intVar(5, 0, 300)),
  },
  apiKeysFile: setting(
    'API_KEYS_FILE',
    z
      .string()
      .min(1)
      .default(join(repoRoot, '.atrium', 'api-keys.json')),
  ),
  /** PKCS#8 PEM of the key internal tokens are signed with; unset: a fresh key per process. */
  signingKeyFile: setting('GATEWAY_SIGNING_KEY_FILE', optional),
  /** The plan of OAuth callers (API keys carry their own). */
  defaultPlan: {
    ratePerSecond: setting('RATE_LIMIT_RATE', intVar(20, 1, 100_000)),
    burst: setting('RATE_LIMIT_BURST', intVar(40, 1, 1_000_000)),
    dailyQuota: setting('RATE_LIMIT_DAILY_QUOTA', intVar(0, 0, 1_000_000_000)),
  },
  /** Rate-limit counters live here when set, shared by every replica. */
  redisUrl: setting('REDIS_URL', redisUrlVar()),
  corsOrigins: setting(
    'CORS_ORIGINS',
    listVar().refine((list) => list.every((origin) => /^https?:\/\/[^/]+$/.test(origin)), {
      message: 'must be a comma-separated list of origins such as https://app.example.com (scheme and host, no path)',
    }),
  ),
  /** Operation limits enforced before any subgraph is called: the shape by graphql-armor, `maxCost` by demand control. */
  limits: {
    // Never above what every subgraph refuses on its own, or legitimate query plans would be refused there.
    maxDepth: setting('MAX_DEPTH', intVar(10, 1, SUBGRAPH_LIMITS.maxDepth)),
    maxAliases: setting('MAX_ALIASES', intVar(15, 0, 1_000)),
    maxCost: setting('MAX_COST', intVar(20_000, 1, SUBGRAPH_LIMITS.maxCost)),
    maxTokens: setting('MAX_TOKENS', intVar(2_000, 10, 100_000)),
    maxDirectives: setting('MAX_DIRECTIVES', intVar(10, 0, 1_000)),
  },
  /** TLS on the gateway's own listener; both or neither. */
  listenerTls: { cert: setting('TLS_CERT', optional), key: setting('TLS_KEY', optional) },
  /** The in-browser explorer: GraphiQL by default in development, off in production unless `EXPLORER` says otherwise. */
  explorer: {
    kind: setting('EXPLORER', z.enum(['graphiql', 'sandbox', 'off'], { message: 'must be graphiql, sandbox or off' }).optional()),
    tokenUrl: setting('EXPLORER_TOKEN_URL', optionalUrlVar()),
  },
  /** Apollo persisted query manifest: trusted documents, servable by id. */
  persistedQueriesFile: setting('PERSISTED_QUERIES_FILE', optional),
  /** Serve only the trusted documents of `persistedQueriesFile`. */
  persistedOnly: setting('PERSISTED_ONLY', flagVar(false)),
  /** Keep whole answers for as long as the subgraphs' cache hints allow (per caller). */
  responseCache: setting('RESPONSE_CACHE', flagVar(false)),
  /** The event log subscriptions are fed from and resume in (the same PostgreSQL the workflows use). */
  databaseUrl: databaseUrlSetting,
  /** Live events from NATS JetStream when NATS_URL is set, else from PostgreSQL's notifications. */
  events: eventSettings,
  subscriptions: {
    perClient: setting('SUBSCRIPTIONS_PER_CLIENT', intVar(20, 1, 10_000)),
    /** Events that may wait for one subscriber who reads slowly; one more disconnects them. */
    buffer: setting('SUBSCRIPTION_BUFFER', intVar(100, 1, 100_000)),
    /** Most missed events a reconnecting subscriber is sent from the log. */
    replayLimit: setting('SUBSCRIPTION_REPLAY_LIMIT', intVar(1_000, 1, 1_000_000)),
  },
  /** Gateway processes sharing the port (node:cluster); 1: this process serves. */
  workers: setting('GATEWAY_WORKERS', intVar(1, 1, 64)),
};

type DeclaredSettings = SettingsOf<typeof GATEWAY_SETTINGS>;

/** Operation limits enforced before any subgraph is called. */
export type OperationLimits = DeclaredSettings['limits'];

/** The gateway's settings, read and checked once at start-up: the declared ones, with the groups that go together resolved. */
export interface GatewayConfig extends Omit<DeclaredSettings, 'oauth' | 'listenerTls' | 'explorer'> {
  production: boolean;
  /** Per subgraph fetch, by subgraph name (from `SUBGRAPH_<NAME>_TIMEOUT_MS`). */
  subgraphTimeouts: Record<string, number>;
  /** Routing URLs that replace the supergraph's, by subgraph name (from `SUBGRAPH_<NAME>_URL`). */
  subgraphUrls: Record<string, string>;
  /** Undefined: no issuer configured, bearer tokens refused (API keys only). */
  oauth?: OAuthSettings;
  /** Client certificate and CA for mutual TLS to the subgraphs (`MTLS=on`). */
  subgraphTls?: TlsFiles;
  listenerTls?: { cert: string; key: string };
  explorer: ExplorerSettings;
}

const SUBGRAPH_URL_VAR = /^SUBGRAPH_([A-Z0-9_]+)_URL$/;
const SUBGRAPH_TIMEOUT_VAR = /^SUBGRAPH_([A-Z0-9_]+)_TIMEOUT_MS$/;

/** SUBGRAPH_SUPPORT_TICKETS_URL → support-tickets */
const subgraphName = (variable: string, pattern: RegExp) => (pattern.exec(variable)?.[1] ?? '').toLowerCase().replace(/_/g, '-');
function invalid(name: string, message: string): ConfigError {
  return new ConfigError(`invalid configuration:\n  ${name}: ${message}`);
}

/** Reads the gateway's configuration from the environment; a bad value throws a ConfigError naming the variable. */
export function readGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const { oauth, listenerTls, explorer, ...settings } = readSettings(GATEWAY_SETTINGS, env);
  const subgraphTls = mtlsFiles(readEnv(mtlsVars(), env));

  const { issuer, audience, jwksUrl } = oauth;
  if ((issuer || audience || jwksUrl) && !(issuer && audience && jwksUrl))
    throw invalid('OAUTH_ISSUER', 'set OAUTH_ISSUER, OAUTH_AUDIENCE and OAUTH_JWKS_URL together');
  if (Boolean(listenerTls.cert) !== Boolean(listenerTls.key)) throw invalid('TLS_CERT', 'set TLS_CERT and TLS_KEY together');
  const production = isProduction(env);
  // The development identity provider signs whatever it is asked: a token from it must never be handed out in production.
  if (production && explorer.tokenUrl) throw invalid('EXPLORER_TOKEN_URL', 'pre-filled development tokens are refused in production');
  if (settings.persistedOnly && !settings.persistedQueriesFile)
    throw invalid('PERSISTED_ONLY', 'needs PERSISTED_QUERIES_FILE, the manifest of trusted documents');
  if (settings.defaultPlan.burst < settings.defaultPlan.ratePerSecond) throw invalid('RATE_LIMIT_BURST', 'must be at least RATE_LIMIT_RATE');

  const urlVars = Object.keys(env).filter((name) => SUBGRAPH_URL_VAR.test(name));
  const urls = readEnv(Object.fromEntries(urlVars.map((name) => [name, urlVar('')])), env);
  const subgraphUrls: Record<string, string> = {};
  for (const name of urlVars) {
    if (!urls[name]) throw invalid(name, 'must be an absolute http:// or https:// URL');
    subgraphUrls[subgraphName(name, SUBGRAPH_URL_VAR)] = urls[name] as string;
  }
  const timeoutVars = Object.keys(env).filter((name) => SUBGRAPH_TIMEOUT_VAR.test(name));
  const timeouts = readEnv(Object.fromEntries(timeoutVars.map((name) => [name, subgraphTimeoutVar()])), env);
  const subgraphTimeouts = Object.fromEntries(timeoutVars.map((name) => [subgraphName(name, SUBGRAPH_TIMEOUT_VAR), timeouts[name] as number]));

  return {
    ...settings,
    production,
    subgraphTimeouts,
    subgraphUrls,
    oauth: issuer && audience && jwksUrl ? { ...oauth, issuer, audience, jwksUrl } : undefined,
    subgraphTls,
    listenerTls: listenerTls.cert && listenerTls.key ? { cert: listenerTls.cert, key: listenerTls.key } : undefined,
    explorer: { kind: explorer.kind ?? (production ? 'off' : 'graphiql'), tokenUrl: explorer.tokenUrl },
  };
}
