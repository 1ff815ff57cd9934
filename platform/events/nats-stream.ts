import { DiscardPolicy, JetStreamApiCodes, JetStreamApiError, jetstreamManager, StorageType, type StreamConfig } from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../log';
import type { EventType } from './event-log';

/** How long JetStream remembers a message id: a relay that takes over re-publishes at most a few seconds' worth. */
const DUPLICATE_WINDOW_MS = 10 * 60_000;

/** How long the stream keeps an event: the log in PostgreSQL is the record, the stream carries news to live feeds. */
const MAX_AGE_MS = 7 * 24 * 3_600_000;

/** The stream's subject prefix: its name in lower case, dots for underscores (ATRIUM_EVENTS → atrium.events). */
export const subjectPrefix = (stream: string): string => stream.toLowerCase().replaceAll('_', '.');

/** Where an event of a type is published: `atrium.events.order.updated`. */
export const subjectOf = (stream: string, type: EventType): string => `${subjectPrefix(stream)}.${type}`;

/** The server's host and port, without any credentials the URL may carry, for logs. */
export const natsServer = (natsUrl: string): string => new URL(natsUrl).host;

/**
 * Connects to NATS (failing at once when it does not answer), then keeps reconnecting for as long as the connection is
 * open: a process cut off by a NATS restart carries on when it answers again.
 */
export async function connectNats(natsUrl: string, name: string, log: Logger): Promise<NatsConnection> {
  const url = new URL(natsUrl);
  const connection = await connect({
    servers: `${url.protocol === 'tls:' ? 'tls' : 'nats'}://${url.host}`,
    ...(url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : {}),
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
  });
  void (async () => {
    for await (const status of connection.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnect') log.info({ server: natsServer(natsUrl) }, `NATS: ${status.type}`);
    }
  })();
  return connection;
}

/** The stream's configuration: every event subject, kept on disk, with a duplicate window for the relay's message ids. */
const streamConfig = (stream: string): Partial<StreamConfig> & { name: string } => ({
  name: stream,
  subjects: [`${subjectPrefix(stream)}.>`],
  storage: StorageType.File,
  discard: DiscardPolicy.Old,
  max_age: nanos(MAX_AGE_MS),
  duplicate_window: nanos(DUPLICATE_WINDOW_MS),
});

/** Creates the stream, or brings an existing one to Atrium's configuration. */
export async function ensureStream(connection: NatsConnection, stream: string): Promise<void> {
  const manager = await jetstreamManager(connection);
  const config = streamConfig(stream);
  try {
    await manager.streams.info(stream);
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) {
      await manager.streams.add(config);
      return;
    }
    throw error;
  }
  await manager.streams.update(stream, config);
}

/** A NATS connection made when first needed and made again if it closed; a failed attempt is the caller's to retry. */
export class NatsLink {
  private current: Promise<NatsConnection> | undefined;

  constructor(
    private readonly natsUrl: string,
    private readonly name: string,
    private readonly log: Logger,
  ) {}

  async connection(): Promise<NatsConnection> {
    const current = await this.current?.catch(() => undefined);
    if (current && !current.isClosed()) return current;
    const next = connectNats(this.natsUrl, this.name, this.log);
    this.current = next;
    return next;
  }

  async close(): Promise<void> {
    const current = await this.current?.catch(() => undefined);
    await current?.close();
  }
}
