import type { Logger } from '../../log';
import type { EventLog } from '../event-log';
import { deliveryIdOf, type DeliveryArgs } from './delivery';
import type { WebhookStore } from './store';

/** Events read per endpoint per pass; a pass that reads this many runs again at once. */
const BATCH = 100;

/** Starts one delivery (idempotent: a delivery queued twice, by two replicas say, runs once). */
export type StartDelivery = (args: DeliveryArgs) => Promise<void>;

/**
 * Hands each endpoint the events after its cursor, as deliveries: every `pollMs`, per endpoint, the next events of
 * its types are recorded and queued, then the cursor moves past them. A crash between the two queues them again,
 * which changes nothing: a delivery's id is its endpoint's and event's.
 */
export class Dispatcher {
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly eventLog: EventLog,
    private readonly store: WebhookStore,
    private readonly startDelivery: StartDelivery,
    private readonly pollMs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.pass = this.dispatch()
        .then(
          (full) => this.schedule(full ? 0 : this.pollMs),
          (error: unknown) => {
            this.log.warn({ err: error }, 'webhooks: dispatching failed; the next pass tries again');
            this.schedule(this.pollMs);
          },
        )
        .finally(() => (this.pass = undefined));
    }, delayMs);
  }

  /** One pass over every endpoint; answers whether some endpoint had more events than one batch. */
  async dispatch(): Promise<boolean> {
    let full = false;
    for (const endpoint of await this.store.endpoints()) {
      const events = await this.eventLog.after(endpoint.cursor, { limit: BATCH, types: endpoint.eventTypes });
      for (const event of events) {
        const deliveryId = deliveryIdOf(endpoint.id, event.id);
        await this.store.queued({ id: deliveryId, endpointId: endpoint.id, eventId: event.id, eventType: event.type });
        await this.startDelivery({ deliveryId, endpointId: endpoint.id, event, queuedAt: Date.now() });
      }
      const last = events.at(-1);
      if (last) await this.store.advance(endpoint.id, last.id);
      full ||= events.length === BATCH;
    }
    return full;
  }

  /** Stops polling and waits for a pass under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.pass;
  }
}
