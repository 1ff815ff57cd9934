import type { Logger } from '../log';
import type { ChangeEvent, EventLog } from './event-log';
import { NatsEventFeed } from './nats-event-feed';
import { PostgresEventFeed } from './postgres-event-feed';
import type { EventSettings } from './settings';

/**
 * The change events one process hears, fanned out to its in-memory listeners: from the head of the log when it
 * starts, in id order, each id once. Listeners are called synchronously and must not block (a subscriber that reads
 * slowly buffers on its own side); one that throws is logged and the others still hear the event.
 */
export interface EventFeed {
  start(): Promise<void>;
  /** Adds a listener; the function returned removes it. */
  onEvent(listener: (event: ChangeEvent) => void): () => void;
  close(): Promise<void>;
}

/** The feed the settings ask for, not started: JetStream when NATS_URL is set, else the event log in PostgreSQL. */
export function openEventFeed(eventLog: EventLog, settings: EventSettings, log: Logger): EventFeed {
  return settings.natsUrl
    ? new NatsEventFeed(eventLog, settings.natsUrl, log, { stream: settings.natsStream })
    : new PostgresEventFeed(eventLog, eventLog.databaseUrl, log);
}
