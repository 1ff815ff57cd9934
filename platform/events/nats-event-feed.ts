import { DeliverPolicy, jetstream, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { z } from 'zod';
import type { Logger } from '../log';
import { EVENT_TYPES, type ChangeEvent, type EventLog } from './event-log';
import type { EventFeed } from './event-feed';
import { ensureStream, NatsLink } from './nats-stream';
import { OrderedEmitter } from './ordered-emitter';
import { DEFAULT_STREAM } from './settings';

/** Retry delays while the stream cannot be consumed: doubling from half a second up to ten. */
const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 10_000;

/** How long one pull waits; heartbeats come at half that. */
const PULL_EXPIRES_MS = 5_000;

/** A message's body: the relay's ChangeEvent JSON, checked since anything may publish on the subject. */
const changeEventSchema = z.object({
  id: z.string().regex(/^[1-9]\d*$/),
  type: z.enum(EVENT_TYPES),
  key: z.string(),
  customerId: z.string(),
  attributes: z.record(z.string(), z.string()),
  occurredAt: z.string(),
});

export interface NatsEventFeedOptions {
  /** The JetStream stream the relay publishes to; ATRIUM_EVENTS unless given. */
  stream?: string;
}

/**
 * The event feed over JetStream: an ordered consumer of the relay's stream from where it stood when the feed
 * started. An id at or below the last heard is dropped (a relay that took over re-publishes a little); an id past the
 * next one means some were missed, and the gap is read from the log before it is heard, so listeners hear every id in
 * order. The ordered consumer recreates itself after a NATS restart; if the stream cannot be consumed at all, the
 * feed retries with backoff and catches up from the log when it can.
 */
export class NatsEventFeed implements EventFeed {
  private readonly emitter: OrderedEmitter;
  private readonly nats: NatsLink;
  private readonly stream: string;
  private messages: ConsumerMessages | undefined;
  private consuming: Promise<void> | undefined;
  private closed = false;
  private wake: (() => void) | undefined;

  constructor(
    eventLog: EventLog,
    natsUrl: string,
    private readonly log: Logger,
    options: NatsEventFeedOptions = {},
  ) {
    this.emitter = new OrderedEmitter(eventLog, log);
    this.stream = options.stream ?? DEFAULT_STREAM;
    this.nats = new NatsLink(natsUrl, `atrium-event-feed-${this.stream}`, log);
  }

  /** Starts at the log's head, and consumes in the background: a NATS that is down does not hold the process up. */
  async start(): Promise<void> {
    await this.emitter.startAtHead();
    this.consuming = this.consume();
  }

  onEvent(listener: (event: ChangeEvent) => void): () => void {
    return this.emitter.add(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    await this.messages?.close();
    await this.consuming;
    await this.nats.close();
  }

  private async consume(): Promise<void> {
    let retryMs = 0;
    while (!this.closed) {
      try {
        const connection = await this.nats.connection();
        await ensureStream(connection, this.stream);
        const js = jetstream(connection);
        const { state } = await (await js.streams.get(this.stream)).info();
        const consumer = await js.consumers.get(this.stream, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: state.last_seq + 1 });
        // Short pulls: a consumer NATS lost in a restart is noticed (missed heartbeats) and recreated within seconds.
        this.messages = await consumer.consume({ expires: PULL_EXPIRES_MS });
        void this.watch(this.messages).catch(() => undefined);
        if (this.closed) break;
        // Whatever was relayed before the consumer's start is read from the log.
        await this.emitter.catchUp();
        if (retryMs > 0) this.log.info({ stream: this.stream }, 'event feed: consuming the stream again');
        retryMs = 0;
        for await (const message of this.messages) await this.hear(message);
        if (!this.closed) throw new Error('the consumer stopped delivering');
      } catch (error) {
        if (this.closed) break;
        if (retryMs === 0) this.log.warn({ err: error, stream: this.stream }, 'event feed: cannot consume the stream; retrying with backoff');
        retryMs = Math.min(retryMs === 0 ? RETRY_FIRST_MS : retryMs * 2, RETRY_MAX_MS);
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          setTimeout(resolve, retryMs).unref();
        });
      }
    }
  }

  private async watch(messages: ConsumerMessages): Promise<void> {
    // Pulls and heartbeats are routine; a consumer lost and recreated (a NATS restart) is worth a line.
    for await (const status of messages.status()) {
      if (status.type !== 'next' && status.type !== 'heartbeat') this.log.debug({ stream: this.stream, status }, 'event feed: consumer status');
    }
  }

  private async hear(message: JsMsg): Promise<void> {
    const parsed = changeEventSchema.safeParse(safeJson(message));
    if (!parsed.success) {
      // The next good message fills the gap from the log, so nothing is lost by skipping this one.
      this.log.warn({ stream: this.stream, subject: message.subject, streamSequence: message.seq }, 'event feed: dropped a message that is not a change event');
      return;
    }
    const event = parsed.data;
    const id = BigInt(event.id);
    if (id > this.emitter.lastId + 1n) await this.emitter.catchUp(id - 1n);
    this.emitter.emit(event);
  }
}

function safeJson(message: JsMsg): unknown {
  try {
    return message.json();
  } catch {
    return undefined;
  }
}
