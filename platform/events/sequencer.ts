import type { Logger } from '../log';
import type { EventLog, NewEvent } from './event-log';
import { SerialPass } from './serial-pass';

/** How often a process that records events numbers what others appended and could not number themselves. */
const SWEEP_MS = 500;

/**
 * What a source records changes through: appends to the log and numbers them at once, and sweeps every half second
 * for appends whose numbering lost the race to another process (that process's pass may have started before the
 * append committed).
 */
export class EventRecorder {
  private readonly timer: NodeJS.Timeout;
  /** One numbering pass at a time per process; a request during a pass runs one more pass after it. */
  private readonly numbering: SerialPass;

  constructor(
    readonly log: EventLog,
    private readonly logger: Logger,
  ) {
    this.numbering = new SerialPass(
      async () => void (await this.log.sequence()),
      (error) => this.logger.warn({ err: error }, 'event log: numbering failed; the next sweep tries again'),
    );
    this.timer = setInterval(() => void this.numbering.run(), SWEEP_MS);
    this.timer.unref();
  }

  /** Records changes (each source once) and numbers them; answers how many were new. */
  async record(events: readonly NewEvent[]): Promise<number> {
    const added = await this.log.append(events);
    if (added > 0) await this.numbering.run();
    return added;
  }

  close(): void {
    clearInterval(this.timer);
  }
}
