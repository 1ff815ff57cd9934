import { ConfigError, hostVar, intVar, portVar, readSettings, setting, type SettingsOf } from '../../env';
import { databaseUrlSetting } from '../../database';
import { executorIdSetting } from '../../dbos-launch';
import { eventSettings } from '../settings';

/** Where `npm start` runs the events service, and its metrics listener. */
export const EVENTS_PORT = 4010;
export const EVENTS_METRICS_PORT = 9410;

/** What the events service reads, once, at start-up. */
export const eventsServiceSettings = {
  host: setting('HOST', hostVar()),
  port: setting('EVENTS_PORT', portVar(EVENTS_PORT)),
  metricsPort: setting('EVENTS_METRICS_PORT', portVar(EVENTS_METRICS_PORT)),
  /** The event log, the partner endpoints and the delivery workflows (DBOS Transact's system database). */
  databaseUrl: databaseUrlSetting,
  executorId: executorIdSetting,
  /** NATS JetStream, which this service relays the log to when NATS_URL is set. */
  events: eventSettings,
  delivery: {
    /** The wait before the second attempt; each later wait doubles (with jitter) up to the cap. */
    backoffMs: setting('WEBHOOK_BACKOFF_MS', intVar(1_000, 1, 3_600_000)),
    backoffMaxMs: setting('WEBHOOK_BACKOFF_MAX_MS', intVar(3_600_000, 1, 86_400_000)),
    /** How long after it was queued a delivery is still attempted; then it is dead and waits for `webhooks replay`. */
    retryForMs: setting('WEBHOOK_RETRY_FOR_MS', intVar(86_400_000, 1, 7 * 86_400_000)),
    /** Per attempt: a partner must answer within this. */
    timeoutMs: setting('WEBHOOK_TIMEOUT_MS', intVar(10_000, 100, 60_000)),
    /** Deliveries to one endpoint in flight at once (across replicas), so one slow partner holds up only itself. */
    endpointConcurrency: setting('WEBHOOK_ENDPOINT_CONCURRENCY', intVar(4, 1, 100)),
  },
  /** How often each endpoint's cursor is checked against the log. */
  pollMs: setting('WEBHOOK_POLL_MS', intVar(500, 10, 60_000)),
};

export type EventsServiceSettings = SettingsOf<typeof eventsServiceSettings>;
export type DeliveryPolicy = EventsServiceSettings['delivery'];

/** Reads the events service's settings, and checks that the backoff's cap is not below its start. */
export function readEventsServiceSettings(env: NodeJS.ProcessEnv = process.env): EventsServiceSettings {
  const settings = readSettings(eventsServiceSettings, env);
  const { backoffMs, backoffMaxMs } = eventsServiceSettings.delivery;
  if (settings.delivery.backoffMaxMs < settings.delivery.backoffMs)
    throw new ConfigError(`invalid configuration:\n  ${backoffMaxMs.variable}: must be at least ${backoffMs.variable}`);
  return settings;
}

/** What `npm run webhooks` reads. */
export const webhookCommandSettings = {
  databaseUrl: databaseUrlSetting,
  /** Endpoints registered at most: each one is a stream of outgoing requests from every events replica. */
  maxEndpoints: setting('WEBHOOK_MAX_ENDPOINTS', intVar(50, 1, 10_000)),
};
