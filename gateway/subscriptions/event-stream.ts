import { GraphQLError } from 'graphql';
import type { ChangeEvent, EventLog } from '../../platform/events/event-log';

/** Why a subscriber's stream ended before they ended it: each a code the transports turn into a close reason. */
export type StreamEnd = 'SLOW_CONSUMER' | 'RESUME_WINDOW_EXCEEDED' | 'TOKEN_EXPIRED' | 'SHUTTING_DOWN';

/** A stream ended by the gateway, with the code and a message saying what the client should do. */
export class StreamEnded extends GraphQLError {
  constructor(
    readonly reason: StreamEnd,
    message: string,
  ) {
    super(message, { extensions: { code: reason } });
  }
}

/** Events read from the log per query while catching up. */
const PAGE = 200;

export interface EventStreamOptions {
  /** Events that may wait for a slow subscriber; one more ends the stream (SLOW_CONSUMER). */
  buffer: number;
  /** Most missed events a reconnecting subscriber is sent from the log; more ends the stream (RESUME_WINDOW_EXCEEDED). */
  replayLimit: number;
}

/**
 * One subscriber's events, in log order, each once: from the log after the id they last saw (if they give one), then
 * live as the hub pushes them. At most `buffer` events wait for a subscriber that does not read; the next one ends
 * the stream, so a stalled client costs a bounded amount of memory.
 */
export class EventStream implements AsyncIterableIterator<ChangeEvent> {
  private readonly queue: ChangeEvent[] = [];
  /** Live events that arrived while catching up from the log, with whether some were left out (then the log has them). */
  private readonly arrived: ChangeEvent[] = [];
  private arrivedOverflow = false;
  private catchingUp: Promise<void> | undefined;
  private lastId: bigint;
  private wake: (() => void) | undefined;
  private ended: StreamEnded | 'done' | undefined;

  constructor(
    private readonly log: EventLog,
    private readonly follows: (event: ChangeEvent) => boolean,
    private readonly types: readonly ChangeEvent['type'][],
    private readonly options: EventStreamOptions,
    lastEventId: string | undefined,
    /** Called once when the stream ends, with the reason when the gateway ended it. */
    private readonly onClose: (reason?: StreamEnded) => void,
  ) {
    this.lastId = lastEventId === undefined ? -1n : BigInt(lastEventId);
    if (lastEventId !== undefined) this.catchingUp = this.catchUp().catch((error: unknown) => this.end(error as StreamEnded));
  }

  /** A live event from the hub; one the subscriber does not follow, or has already had, is ignored. */
  push(event: ChangeEvent): void {
    if (this.ended || !this.follows(event)) return;
    if (this.catchingUp) {
      if (this.arrived.length < this.options.buffer) this.arrived.push(event);
      else this.arrivedOverflow = true;
      return;
    }
    this.enqueue(event);
  }

  /** Ends the stream: with a reason the subscriber is told, or quietly when they went away. */
  end(reason?: StreamEnded): void {
    if (this.ended) return;
    this.ended = reason ?? 'done';
    this.queue.length = 0;
    this.arrived.length = 0;
    this.onClose(reason);
    this.wake?.();
  }

  async next(): Promise<IteratorResult<ChangeEvent>> {
    for (;;) {
      if (this.ended instanceof StreamEnded) {
        const error = this.ended;
        this.ended = 'done';
        throw error;
      }
      if (this.ended) return { done: true, value: undefined };
      const event = this.queue.shift();
      if (event) return { done: false, value: event };
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  async return(): Promise<IteratorResult<ChangeEvent>> {
    this.end();
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private enqueue(event: ChangeEvent): void {
    if (BigInt(event.id) <= this.lastId) return;
    if (this.queue.length >= this.options.buffer) {
      return this.end(
        new StreamEnded('SLOW_CONSUMER', `more than ${this.options.buffer} events waited for this subscriber; reconnect with the last event id seen`),
      );
    }
    this.lastId = BigInt(event.id);
    this.queue.push(event);
    this.wake?.();
  }

  /** Reads what the subscriber missed from the log, then what arrived live meanwhile (from the log again if that overflowed). */
  private async catchUp(): Promise<void> {
    let replayed = 0;
    for (;;) {
      const page = await this.log.after(String(this.lastId), { limit: PAGE, types: this.types });
      if (this.ended) return;
      for (const event of page) {
        if (!this.follows(event)) {
          // Not theirs, but past it: the next page starts after it.
          this.lastId = BigInt(event.id);
          continue;
        }
        if ((replayed += 1) > this.options.replayLimit) {
          throw new StreamEnded(
            'RESUME_WINDOW_EXCEEDED',
            `more than ${this.options.replayLimit} events were missed; read the current state, then subscribe again without a last event id`,
          );
        }
        this.enqueue(event);
        if (this.ended) return;
      }
      if (page.length === PAGE) continue;
      if (this.arrivedOverflow) {
        this.arrivedOverflow = false;
        this.arrived.length = 0;
        continue;
      }
      break;
    }
    this.catchingUp = undefined;
    for (const event of this.arrived.splice(0)) this.enqueue(event);
  }
}
