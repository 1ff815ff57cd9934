import type { Logger } from '../log';
import type { ChangeEvent, EventLog } from './event-log';
import type { EventFeed } from './event-feed';
import { OrderedEmitter } from './ordered-emitter';
import { listenForEvents, type EventListener } from './pg-listen';
import { SerialPass } from './serial-pass';

/** A sweep, in case a notification was missed. */
const SWEEP_MS = 1_000;

/**
 * The event feed without NATS: LISTENs on the log's channel and reads the log after the last id heard on every
 * notification and every second. Each process reads the log itself, one query per batch of new events.
 */
export class PostgresEventFeed implements EventFeed {
  private readonly emitter: OrderedEmitter;
  private readonly pass: SerialPass;
  private listener: EventListener | undefined;
  private sweep: NodeJS.Timeout | undefined;

  constructor(
    eventLog: EventLog,
    private readonly databaseUrl: string,
    private readonly log: Logger,
  ) {
    this.emitter = new OrderedEmitter(eventLog, log);
    this.pass = new SerialPass(
      () => this.emitter.catchUp(),
      (error) => this.log.warn({ err: error }, 'event feed: could not read the event log; the next sweep tries again'),
    );
  }

  async start(): Promise<void> {
    await this.emitter.startAtHead();
    this.listener = await listenForEvents(this.databaseUrl, this.log, () => void this.pass.run());
    this.sweep = setInterval(() => void this.pass.run(), SWEEP_MS);
    this.sweep.unref();
  }

  onEvent(listener: (event: ChangeEvent) => void): () => void {
    return this.emitter.add(listener);
  }

  async close(): Promise<void> {
    clearInterval(this.sweep);
    await this.listener?.close();
    await this.pass.idle();
  }
}
