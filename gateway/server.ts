import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginUsageReportingDisabled } from '@apollo/server/plugin/disabled';
import { KeyvAdapter } from '@apollo/utils.keyvadapter';
import Redis from 'ioredis';
import { errorMasker } from '../platform/errors';
import { createGraphQLHttpServer, GRAPHQL_PATH } from '../platform/graphql-http';
import { EventLog } from '../platform/events/event-log';
import { openEventFeed } from '../platform/events/event-feed';
import { closeServer, listen, sendJson } from '../platform/http';
import { InternalTokenSigner } from '../platform/internal-token';
import type { Logger } from '../platform/log';
import type { RunningService } from '../platform/run';
import { openStore } from '../platform/store';
import { supportedOperationsPlugin } from '../platform/supported-operations';
import { readMtlsFiles, readPemFiles } from '../platform/tls';
import { ApiKeyVerifier } from './auth/api-keys';
import { Authenticator, type Caller } from './auth/authenticate';
import { OAuthVerifier } from './auth/oauth';
import { loadSigningKey } from './auth/signing-key';
import type { GatewayConfig } from './config';
import type { GatewayContext } from './context';
import { corsInterceptor } from './cors';
import { Explorer } from './explorer';
import { loadPersistedQueries, PersistedQueryStore, trustedDocumentsPlugin } from './persisted-queries';
import { operationLimits } from './limits/armor';
import { limitedIntrospectionRule } from './limits/introspection';
import { DemandControl } from './limits/demand-control';
import { ClientRateLimiter } from './limits/rate-limit';
import { SubgraphClient } from './subgraph-client';
import { SubgraphDataSource } from './subgraph-data-source';
import { accessLogPlugin } from './access-log-plugin';
import { cacheStatusPlugin, responseCache } from './response-cache';
import { staleAnswerPlugin } from './stale-answer-plugin';
import { SupergraphFile } from './supergraph-file';
import { isEventStreamRequest, serverSentEvents } from './subscriptions/server-sent-events';
import { Subscriptions } from './subscriptions/subscriptions';
import { serveWebSockets } from './subscriptions/websocket';

/** How long start-up waits for the event log before serving queries without subscriptions (they follow once it answers). */
const EVENT_LOG_WAIT_MS = 3_000;

/** Where subgraphs fetch the public keys of the tokens the gateway signs for them. */
export const JWKS_PATH = '/.well-known/jwks.json';

/**
 * Starts the federated gateway: the supergraph from a file (reloaded on change), every request authenticated (OAuth
 * bearer token or API key), limited (operation shape and per-client rate) and forwarded with a gateway-signed token.
 */
export async function startGateway(config: GatewayConfig, log: Logger): Promise<RunningService> {
  const signingKey = await loadSigningKey(config.signingKeyFile);
  const internalTokens = new InternalTokenSigner(signingKey);
  // Files that may be wrong are read before anything is started that would have to be stopped.
  const trusted = config.persistedQueriesFile ? loadPersistedQueries(config.persistedQueriesFile) : new Map<string, string>();
  const apiKeys = new ApiKeyVerifier(config.apiKeysFile, log);
  const authenticator = new Authenticator({ oauth: config.oauth && new OAuthVerifier(config.oauth), apiKeys, defaultPlan: config.defaultPlan });
  // Commands fail fast while Redis is away (the limiter then falls back to memory) instead of queueing forever.
  const redis = config.redisUrl ? new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 }) : undefined;
  redis?.on('error', (error: Error) => log.warn({ err: error }, 'redis unavailable; rate limits are counted in memory'));

  const subgraphTls = config.subgraphTls && readMtlsFiles(config.subgraphTls);
  const listenerTls = config.listenerTls
    ? readPemFiles({ cert: { variable: 'TLS_CERT', path: config.listenerTls.cert }, key: { variable: 'TLS_KEY', path: config.listenerTls.key } })
    : undefined;

  const cors = corsInterceptor(config.corsOrigins);
  const subgraphClient = new SubgraphClient({ connections: config.subgraphConnections, tls: subgraphTls });
  let schemaLoaded = false;
  const demandControl = new DemandControl({ limiter: new ClientRateLimiter(redis), maxCost: config.limits.maxCost, production: config.production });
  const gateway = new ApolloGateway({
    supergraphSdl: new SupergraphFile(config.supergraphPath, log),
    buildService: ({ name, url }) =>
      new SubgraphDataSource(name, config.subgraphUrls[name] ?? url ?? '', subgraphClient, config.subgraphTimeouts[name] ?? config.subgraphTimeoutMs),
    logger: log,
  });

  const explorer = new Explorer(config.explorer, log);
  // Automatic persisted queries: trusted documents first, then what clients registered (shared through Redis if set).
  const registeredQueries = openStore('apq', { redisUrl: config.redisUrl, log });
  const persistedQueries = new PersistedQueryStore(trusted, new KeyvAdapter(registeredQueries, { disableBatchReads: true }), config.persistedOnly);
  const responses = config.responseCache ? openStore('responses', { redisUrl: config.redisUrl, log }) : undefined;
  const limits = operationLimits(config.limits);
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    // Signals are platform/run.ts's: Apollo's handler would stop mid-request and re-raise the signal, killing the drain.
    stopOnTerminationSignals: false,
    // Apollo's own switch would also refuse `__type` probes that GraphQL-over-HTTP clients rely on; our rule is narrower.
    introspection: true,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    persistedQueries: { cache: persistedQueries, ttl: 7 * 24 * 3600 },
    includeStacktraceInErrorResponses: false,
    formatError: errorMasker(log, { hideSuggestions: config.production }),
    parseOptions: limits.parseOptions,
    validationRules: [...limits.validationRules, ...(config.production ? [limitedIntrospectionRule] : [])],
    plugins: [
      ApolloServerPluginUsageReportingDisabled(),
      supportedOperationsPlugin,
      explorer.plugin(),
      ...(config.persistedOnly ? [trustedDocumentsPlugin(trusted)] : []),
      ...limits.plugins,
      demandControl.plugin(),
      staleAnswerPlugin,
      ...(responses ? responseCache(responses) : []),
      cacheStatusPlugin,
      accessLogPlugin(log),
    ],
  });
  const contextFor = (caller: Caller): GatewayContext => ({
    caller,
    // Looked up when a subgraph is called, so a request that reaches one subgraph signs at most one token.
    internalTokenFor: (subgraph: string) => internalTokens.tokenFor(caller.identity, subgraph),
    deadline: Date.now() + config.requestDeadlineMs,
    staleBackends: new Set<string>(),
    subgraphsCalled: new Set<string>(),
  });
  const subscriptions = new Subscriptions({
    apollo,
    contextFor,
    parseOptions: limits.parseOptions,
    validationRules: [...limits.validationRules, ...(config.production ? [limitedIntrospectionRule] : [])],
    checkCost: (document, operation, variables) => demandControl.checkCost(document, operation, variables),
    trusted: config.persistedOnly ? trusted : undefined,
    settings: config.subscriptions,
    logger: log,
  });
  gateway.onSchemaLoadOrUpdate(({ apiSchema, coreSupergraphSdl }) => {
    demandControl.useSupergraph(coreSupergraphSdl);
    subscriptions.useSupergraph(apiSchema, coreSupergraphSdl);
    schemaLoaded = true;
  });
  await apollo.start();

  // The event log is reached in the background: a database that is away costs subscriptions (NOT_READY), never queries.
  const stopping = new AbortController();
  const events = (async () => {
    const eventLog = await EventLog.open(config.databaseUrl, log, stopping.signal);
    const feed = openEventFeed(eventLog, config.events, log);
    await feed.start();
    if (!stopping.signal.aborted) subscriptions.follow(eventLog, feed);
    return { eventLog, feed };
  })().catch((error: unknown) => {
    if (!stopping.signal.aborted) log.error({ err: error }, 'subscriptions unavailable: the event log cannot be reached');
    return undefined;
  });
  // A reachable log is followed before the gateway listens, so a replica that reports ready serves subscriptions too.
  await Promise.race([events, sleep(EVENT_LOG_WAIT_MS, undefined, { ref: false })]);
  const authenticate = (headers: IncomingHttpHeaders) => authenticator.authenticate(headers);
  const eventStreams = serverSentEvents({ subscriptions, authenticate, maxBodyBytes: config.maxBodyBytes, bodyTimeoutMs: config.bodyTimeoutMs });
  // Streams last as long as the subscriber wants: they are not requests in flight, and are bounded per client instead.
  const serveEventStream = async (req: IncomingMessage, res: ServerResponse) => {
    if (!isEventStreamRequest(req) || new URL(req.url ?? '/', 'http://gateway').pathname !== GRAPHQL_PATH) return false;
    await eventStreams(req, res);
    return true;
  };

  const server = createGraphQLHttpServer<GatewayContext, Caller>({
    service: 'gateway',
    apollo,
    authenticate: (req) => authenticator.authenticate(req.headers),
    context: (_req, caller) => contextFor(caller),
    readiness: () => (schemaLoaded ? { ready: true } : { ready: false, reason: 'supergraph not loaded' }),
    maxBodyBytes: config.maxBodyBytes,
    maxInFlight: config.maxInFlight,
    limits: { bodyTimeoutMs: config.bodyTimeoutMs, maxConnectionsPerClient: config.maxConnectionsPerClient },
    log,
    routes: { [JWKS_PATH]: (_req, res) => sendJson(res, 200, signingKey.jwks, { 'cache-control': 'public, max-age=300' }) },
    intercept: async (req, res) => (await cors(req, res)) || (await serveEventStream(req, res)) || explorer.intercept(req, res),
    tls: listenerTls,
  });
  const webSockets = serveWebSockets({ server, path: GRAPHQL_PATH, subscriptions, authenticate, maxMessageBytes: config.maxBodyBytes, log });
  const url = await listen(server, config.port, config.host);
  let stopped: Promise<void> | undefined;
  return {
    url: `${url}/graphql`,
    // In-flight requests finish before Apollo stops and the subgraph connections close; calling it again waits for the same stop.
    stop: () =>
      (stopped ??= (async () => {
        // Subscribers are told first (they reconnect elsewhere with their last event id): streams never finish on their own.
        stopping.abort();
        subscriptions.close();
        await webSockets.close();
        await closeServer(server);
        await apollo.stop();
        await subgraphClient.close();
        apiKeys.close();
        await registeredQueries.disconnect();
        await responses?.disconnect();
        redis?.disconnect();
        // Reaching it stops with the abort (at the next attempt, within a second).
        const opened = await events;
        await opened?.feed.close();
        await opened?.eventLog.close();
      })()),
  };
}
