import { flagVar, hostVar, intVar, portVar, readSettings, redisUrlVar, setting, settingsOfVars, urlVar, type SettingsOf } from '../../platform/env';
import { bodyTimeoutVar } from '../../platform/listener-guards';
import { DEFAULT_MAX_INFLIGHT, maxInFlightVar } from '../../platform/overload';
import { mtlsVars } from '../../platform/tls';
import { portOf, variablesOf, type SubgraphEntry } from '../../schema/registry';
import { resilienceSettings } from './resilience';
import { requestDeadlineSetting } from '../../platform/request-deadline';

/** What every subgraph process reads, beside its own port, metrics port and backend URL. */
export const subgraphSettings = {
  host: setting('HOST', hostVar()),
  /** Keep-alive connections to the backend. */
  connections: setting('BACKEND_CONNECTIONS', intVar(32, 1, 1_024)),
  bodyTimeoutMs: setting('BODY_TIMEOUT_MS', bodyTimeoutVar()),
  maxInFlight: setting('MAX_INFLIGHT', maxInFlightVar(DEFAULT_MAX_INFLIGHT.subgraph)),
  requestDeadlineMs: requestDeadlineSetting,
  /** Where the gateway publishes the keys its subgraph tokens are signed with. */
  gatewayJwksUrl: setting('GATEWAY_JWKS_URL', urlVar('http://127.0.0.1:4000/.well-known/jwks.json')),
  redisUrl: setting('REDIS_URL', redisUrlVar()),
  entityCache: setting('ENTITY_CACHE', flagVar(false)),
  resilience: resilienceSettings,
  mtls: settingsOfVars(mtlsVars()),
};

/** The settings of one subgraph's process: its own variables (`ORDERS_PORT`, `ERP_URL`…), defaulting to the registry's, and the shared ones. */
const ownSettings = (entry: SubgraphEntry) => {
  const variables = variablesOf(entry);
  return {
    port: setting(variables.port, portVar(portOf(entry.routingUrl))),
    metricsPort: setting(variables.metricsPort, portVar(entry.metricsPort)),
    backendUrl: setting(variables.backendUrl, urlVar(entry.backend.url)),
    ...subgraphSettings,
  };
};

export type SubgraphConfig = SettingsOf<ReturnType<typeof ownSettings>>;

/** Reads and checks a subgraph's configuration once, at start-up; every problem is reported together, naming its variable. */
export const readSubgraphConfig = (entry: SubgraphEntry, env: NodeJS.ProcessEnv = process.env): SubgraphConfig => readSettings(ownSettings(entry), env);
