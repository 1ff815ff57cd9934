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
  redisUrlVar,
  urlVar,
} from '../platform/env';
import { SUBGRAPH_LIMITS } from '../platform/operation-cost';
import { bodyTimeoutVar } from '../platform/listener-guards';
import { repoRoot } from '../platform/paths';
import { mtlsFiles, mtlsVars, type TlsFiles } from '../platform/tls';
import type { ExplorerSettings } from './explorer';
import type { UsagePlan } from './auth/api-keys';
import type { OAuthSettings } from './auth/oauth';

/** Operation limits enforced before any subgraph is called: the shape by graphql-armor, `maxCost` by demand control. */
export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  maxCost: number;
  maxTokens: number;
  maxDirectives: number;
}

/** The gateway's settings, read and checked once at start-up. */
export interface GatewayConfig {
  host: string;
  port: number;
  /** Where `/metrics` is served, apart from the public listener. */
  metricsPort: number;
  production: boolean;
  supergraphPath: string;
  /** Per subgraph fetch, unless `subgraphTimeouts` names the subgraph. */
  subgraphTimeoutMs: number;
  /** Per subgraph fetch, by subgraph name (from `SUBGRAPH_<NAME>_TIMEOUT_MS`). */
  subgraphTimeouts: Record<string, number>;
  /** The most a whole request may take; subgraph calls get what is left of it. */
  requestDeadlineMs: number;
  /** Keep-alive connections per subgraph. */
  subgraphConnections: number;
  maxBodyBytes: number;
  /** How long headers, then a body, may take to arrive. */
  bodyTimeoutMs: number;
  /** Open connections per client address (a proxy in front counts as one address). */
  maxConnectionsPerClient: number;
  /** Routing URLs that replace the supergraph's, by subgraph name (from `SUBGRAPH_<NAME>_URL`). */
  subgraphUrls: Record<string, string>;
  /** Undefined: no issuer configured, bearer tokens refused (API keys only). */
  oauth?: OAuthSettings;
  apiKeysFile: string;
  /** PKCS#8 PEM of the key internal tokens are signed with; unset: a fresh key per process. */
  signingKeyFile?: string;
  /** The plan of OAuth callers (API keys carry their own). */
  defaultPlan: UsagePlan;
  /** Rate-limit counters live here when set, shared by every replica. */
  redisUrl?: string;
  corsOrigins: string[];
  limits: OperationLimits;
  /** Client certificate and CA for mutual TLS to the subgraphs (`MTLS=on`). */
  subgraphTls?: TlsFiles;
  /** TLS on the gateway's own listener (`TLS_CERT`, `TLS_KEY`). */
  listenerTls?: { cert: string; key: string };
  /** The in-browser explorer: GraphiQL by default in development, off in production unless `EXPLORER` says otherwise. */
  explorer: ExplorerSettings;
  /** Apollo persisted query manifest: trusted documents, servable by id. */
  persistedQueriesFile?: string;
  /** Serve only the trusted documents of `persistedQueriesFile`. */
  persistedOnly: boolean;
  /** Keep whole answers for as long as the subgraphs' cache hints allow (per caller). */
  responseCache: boolean;
  /** Gateway processes sharing the port (node:cluster); 1: this process serves. */
  workers: number;
}

const SUBGRAPH_URL_VAR = /^SUBGRAPH_([A-Z0-9_]+)_URL$/;
const SUBGRAPH_TIMEOUT_VAR = /^SUBGRAPH_([A-Z0-9_]+)_TIMEOUT_MS$/;

/** SUBGRAPH_SUPPORT_TICKETS_URL → support-tickets */
const subgraphName = (variable: string, pattern: RegExp) => (pattern.exec(variable)?.[1] ?? '').toLowerCase().replace(/_/g, '-');
const optional = optionalTextVar();

function invalid(name: string, message: string): ConfigError {
  return new ConfigError(`invalid configuration:\n  ${name}: ${message}`);
}

/** Reads the gateway's configuration from the environment; a bad value throws a ConfigError naming the variable. */
export function readGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const base = readEnv(
    {
      HOST: hostVar(),
      GATEWAY_PORT: portVar(4000),
      GATEWAY_METRICS_PORT: portVar(9400),
      SUPERGRAPH_PATH: z
        .string()
        .min(1, 'must not be empty')
        .default(join(repoRoot, 'schema', 'supergraph.graphql')),
      SUBGRAPH_TIMEOUT_MS: intVar(10_000, 1, 300_000),
      REQUEST_DEADLINE_MS: intVar(15_000, 1, 600_000),
      SUBGRAPH_CONNECTIONS: intVar(64, 1, 4_096),
      MAX_BODY_BYTES: intVar(100_000, 1_000, 10_000_000),
      BODY_TIMEOUT_MS: bodyTimeoutVar(),
      MAX_CONNECTIONS_PER_CLIENT: intVar(256, 1, 100_000),
      OAUTH_ISSUER: optional,
      OAUTH_AUDIENCE: optional,
      OAUTH_JWKS_URL: optionalUrlVar(),
      OAUTH_ALGORITHMS: listVar(['RS256']).refine((list) => list.length > 0 && list.every((alg) => /^(RS|PS|ES)(256|384|512)$|^EdDSA$/.test(alg)), {
        message: 'must list asymmetric JWS algorithms such as RS256,ES256 (none and HMAC are refused)',
      }),
      OAUTH_AUDIENCE_CLAIM: z.string().min(1).default('aud'),
      OAUTH_TOKEN_USE: optional,
      OAUTH_SUBJECT_CLAIM: z.string().min(1).default('sub'),
      OAUTH_ROLES_CLAIM: z.string().min(1).default('roles'),
      OAUTH_SCOPES_CLAIM: z.string().min(1).default('scope'),
      OAUTH_SCOPE_PREFIX: z.string().default(''),
      OAUTH_CLOCK_TOLERANCE_S: intVar(5, 0, 300),
      API_KEYS_FILE: z
        .string()
        .min(1)
        .default(join(repoRoot, '.atrium', 'api-keys.json')),
      GATEWAY_SIGNING_KEY_FILE: optional,
      RATE_LIMIT_RATE: intVar(20, 1, 100_000),
      RATE_LIMIT_BURST: intVar(40, 1, 1_000_000),
      RATE_LIMIT_DAILY_QUOTA: intVar(0, 0, 1_000_000_000),
      REDIS_URL: redisUrlVar(),
      CORS_ORIGINS: listVar().refine((list) => list.every((origin) => /^https?:\/\/[^/]+$/.test(origin)), {
        message: 'must be a comma-separated list of origins such as https://app.example.com (scheme and host, no path)',
      }),
      // Never above what every subgraph refuses on its own, or legitimate query plans would be refused there.
      MAX_DEPTH: intVar(10, 1, SUBGRAPH_LIMITS.maxDepth),
      MAX_ALIASES: intVar(15, 0, 1_000),
      MAX_COST: intVar(20_000, 1, SUBGRAPH_LIMITS.maxCost),
      MAX_TOKENS: intVar(2_000, 10, 100_000),
      MAX_DIRECTIVES: intVar(10, 0, 1_000),
      ...mtlsVars(),
      TLS_CERT: optional,
      TLS_KEY: optional,
      EXPLORER: z.enum(['graphiql', 'sandbox', 'off'], { message: 'must be graphiql, sandbox or off' }).optional(),
      EXPLORER_TOKEN_URL: optionalUrlVar(),
      PERSISTED_QUERIES_FILE: optional,
      PERSISTED_ONLY: flagVar(false),
      RESPONSE_CACHE: flagVar(false),
      GATEWAY_WORKERS: intVar(1, 1, 64),
    },
    env,
  );

  const oauthVars = [base.OAUTH_ISSUER, base.OAUTH_AUDIENCE, base.OAUTH_JWKS_URL];
  if (oauthVars.some(Boolean) && !oauthVars.every(Boolean)) throw invalid('OAUTH_ISSUER', 'set OAUTH_ISSUER, OAUTH_AUDIENCE and OAUTH_JWKS_URL together');
  const subgraphTls = mtlsFiles(base);
  if (Boolean(base.TLS_CERT) !== Boolean(base.TLS_KEY)) throw invalid('TLS_CERT', 'set TLS_CERT and TLS_KEY together');
  const production = isProduction(env);
  // The development identity provider signs whatever it is asked: a token from it must never be handed out in production.
  if (production && base.EXPLORER_TOKEN_URL) throw invalid('EXPLORER_TOKEN_URL', 'pre-filled development tokens are refused in production');
  if (base.PERSISTED_ONLY && !base.PERSISTED_QUERIES_FILE) throw invalid('PERSISTED_ONLY', 'needs PERSISTED_QUERIES_FILE, the manifest of trusted documents');
  if (base.RATE_LIMIT_BURST < base.RATE_LIMIT_RATE) throw invalid('RATE_LIMIT_BURST', 'must be at least RATE_LIMIT_RATE');

  const urlVars = Object.keys(env).filter((name) => SUBGRAPH_URL_VAR.test(name));
  const urls = readEnv(Object.fromEntries(urlVars.map((name) => [name, urlVar('')])), env);
  const subgraphUrls: Record<string, string> = {};
  for (const name of urlVars) {
    if (!urls[name]) throw invalid(name, 'must be an absolute http:// or https:// URL');
    subgraphUrls[subgraphName(name, SUBGRAPH_URL_VAR)] = urls[name] as string;
  }
  const timeoutVars = Object.keys(env).filter((name) => SUBGRAPH_TIMEOUT_VAR.test(name));
  const timeouts = readEnv(Object.fromEntries(timeoutVars.map((name) => [name, intVar(10_000, 1, 300_000)])), env);
  const subgraphTimeouts = Object.fromEntries(timeoutVars.map((name) => [subgraphName(name, SUBGRAPH_TIMEOUT_VAR), timeouts[name] as number]));

  return {
    host: base.HOST,
    port: base.GATEWAY_PORT,
    metricsPort: base.GATEWAY_METRICS_PORT,
    production,
    supergraphPath: base.SUPERGRAPH_PATH,
    subgraphTimeoutMs: base.SUBGRAPH_TIMEOUT_MS,
    subgraphTimeouts,
    requestDeadlineMs: base.REQUEST_DEADLINE_MS,
    subgraphConnections: base.SUBGRAPH_CONNECTIONS,
    maxBodyBytes: base.MAX_BODY_BYTES,
    bodyTimeoutMs: base.BODY_TIMEOUT_MS,
    maxConnectionsPerClient: base.MAX_CONNECTIONS_PER_CLIENT,
    subgraphUrls,
    oauth:
      base.OAUTH_ISSUER && base.OAUTH_AUDIENCE && base.OAUTH_JWKS_URL
        ? {
            issuer: base.OAUTH_ISSUER,
            audience: base.OAUTH_AUDIENCE,
            jwksUrl: base.OAUTH_JWKS_URL,
            algorithms: base.OAUTH_ALGORITHMS,
            audienceClaim: base.OAUTH_AUDIENCE_CLAIM,
            tokenUse: base.OAUTH_TOKEN_USE,
            subjectClaim: base.OAUTH_SUBJECT_CLAIM,
            rolesClaim: base.OAUTH_ROLES_CLAIM,
            scopesClaim: base.OAUTH_SCOPES_CLAIM,
            scopePrefix: base.OAUTH_SCOPE_PREFIX,
            clockToleranceSeconds: base.OAUTH_CLOCK_TOLERANCE_S,
          }
        : undefined,
    apiKeysFile: base.API_KEYS_FILE,
    signingKeyFile: base.GATEWAY_SIGNING_KEY_FILE,
    defaultPlan: { ratePerSecond: base.RATE_LIMIT_RATE, burst: base.RATE_LIMIT_BURST, dailyQuota: base.RATE_LIMIT_DAILY_QUOTA },
    redisUrl: base.REDIS_URL,
    corsOrigins: base.CORS_ORIGINS,
    limits: { maxDepth: base.MAX_DEPTH, maxAliases: base.MAX_ALIASES, maxCost: base.MAX_COST, maxTokens: base.MAX_TOKENS, maxDirectives: base.MAX_DIRECTIVES },
    subgraphTls,
    listenerTls: base.TLS_CERT && base.TLS_KEY ? { cert: base.TLS_CERT, key: base.TLS_KEY } : undefined,
    persistedQueriesFile: base.PERSISTED_QUERIES_FILE,
    persistedOnly: base.PERSISTED_ONLY,
    responseCache: base.RESPONSE_CACHE,
    workers: base.GATEWAY_WORKERS,
    explorer: { kind: base.EXPLORER ?? (production ? 'off' : 'graphiql'), tokenUrl: base.EXPLORER_TOKEN_URL },
  };
}
