import type { Logger } from '../log';
import type { ChangeEvent, EventLog } from './event-log';

/** Events read from the log per query while catching up or filling a gap. */
const BATCH = 1_000;

/**
 * What both feeds share: the listeners, and the last id they heard. An event at or below it is dropped, so each id
 * is heard once and in order whatever way it arrived (a notification's read, a message, a gap filled from the log).
 */
export class OrderedEmitter {
  private readonly listeners = new Set<(event: ChangeEvent) => void>();
  /** The last id heard; the log's head when the feed started. */
  lastId = 0n;

  constructor(
    private readonly eventLog: EventLog,
    private readonly log: Logger,
  ) {}

  /** Adds a listener; the function returned removes it. */
  add(listener: (event: ChangeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Starts at the log's head: what was recorded before is not news. */
  async startAtHead(): Promise<void> {
    this.lastId = BigInt(await this.eventLog.head());
  }

  /** Hands an event to every listener, unless its id was heard already. */
  emit(event: ChangeEvent): void {
    const id = BigInt(event.id);
    if (id <= this.lastId) return;
    this.lastId = id;
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.log.error({ err: error, eventId: event.id }, 'event feed: a listener threw');
      }
    }
  }

  /** Emits what the log holds after the last id heard, up to `upTo` (an id) or its end. */
  async catchUp(upTo?: bigint): Promise<void> {
    for (;;) {
      const wanted = upTo === undefined ? BATCH : Number(upTo - this.lastId < BATCH ? upTo - this.lastId : BATCH);
      if (wanted <= 0) return;
      const events = await this.eventLog.after(String(this.lastId), { limit: wanted });
      for (const event of events) this.emit(event);
      if (events.length < wanted) return;
    }
  }
}
